/**
 * The Parley client SDK, for browsers and Node 20. Frame types come from the
 * protocol module (src/protocol), never redefined here.
 */
export { ParleyClient, SDK_VERSION } from "./client.ts";
export type { ParleyClientOptions, ClientEvents } from "./client.ts";
export { ConversationHandle } from "./conversation.ts";
export { ChangeError } from "./changes.ts";
export type { ConversationEvents, ConversationOptions, SendOptions, SendResult } from "./conversation.ts";
export { InboxHandle } from "./inbox.ts";
export type { InboxEvents } from "./inbox.ts";
export { TopicHandle } from "./topic.ts";
export type { TopicEvents, TopicOptions } from "./topic.ts";
export { AutoAway, DEFAULT_AUTO_AWAY_MS } from "./presence.ts";
export type { PresenceOptions, VisibilitySource } from "./presence.ts";
export { ParleyApi } from "./rest.ts";
export { ParleyAdmin } from "./admin.ts";
export type { AdminReportsOptions, DeliveriesOptions } from "./admin.ts";
export type { HistoryOptions, SearchOptions, RestSendOptions, PageOptions, PollOptions } from "./rest.ts";
export { memoryStorage, indexedDbStorage, defaultStorage } from "./storage.ts";
export type { ParleyStorage, StoredConversation, IdbFactoryLike } from "./storage.ts";
export type { AccessToken, AuthOptions } from "./auth.ts";
export type { ParleyEventError, WebSocketLike, WebSocketConstructor } from "./socket.ts";
export { publicStatus, transition, INITIAL_STATE } from "./machine.ts";
export type { ConnectionStatus, ConnectionState, ConnectionEvent, Phase, StopReason } from "./machine.ts";
export { backoffDelay } from "./backoff.ts";
export { SeqBuffer } from "./seq-buffer.ts";
export { TIMING } from "./timing.ts";
export type { Timing } from "./timing.ts";
export { ParleyError } from "../../src/protocol/index.ts";
export type { Message, MessageAck, ConversationView, InboxConversation, ErrorBody, LoginResponse, TopicEvent, ContactPresence } from "../../src/protocol/index.ts";
export type {
  AddMembersResponse, Attachment, BlockResponse, ChangeAck, ConversationList, HistoryPage, Member, MemberPage, MeResponse, MessageSearchPage,
  GlobalSearchResponse, MuteResponse, Notification, PatchMeRequest, Receipt, ReadNotificationsResponse, ReportRequest, ReportResponse,
  SearchResponse, SendData, ServerData, Settings, SettablePresence, UserView, InboxServerData,
} from "../../src/protocol/index.ts";
export type {
  AdminReport, AdminReportPage, AdminReportResponse, AdminUserResponse, AuthenticationResponseJson, BotList, CeremonyOptions, CreateBotRequest,
  CreateBotResponse, CreateInviteResponse, CreateWebhookResponse, DeliveryPage, DeliveryView, IdentityView, InvitePreview, InviteView,
  JoinInviteResponse, MetricsResponse, OAuthProvider, PasskeyView, PushSubscribeResponse, PushSubscriptionRequest, RegistrationResponseJson,
  SessionView, SignInMethods, SuspendResponse, TopicEventsPage, UpdateBotResponse, WebhookEventType, WebhookView,
} from "../../src/protocol/index.ts";
