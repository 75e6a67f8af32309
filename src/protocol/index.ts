/**
 * The Parley protocol, version 1: the one module that states the contract.
 * The Worker, the actors and the client SDK import it; every TypeScript type
 * of a frame is inferred from these schemas.
 */
export { PROTOCOL_VERSION, MAX_FRAME_BYTES, MAX_BODY_CHARS, MAX_RID_CHARS, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, SEND_RATE, SYNC_RATE, TYPING_MIN_INTERVAL_MS, BAD_FRAME_LIMIT, DEFAULT_HEARTBEAT_MS, TYPING_EXPIRES_MS, PING_TEXT, PONG_TEXT, MAX_MEMBER_PAGE, DEFAULT_MEMBER_PAGE, MAX_REACTIONS_PER_MESSAGE, REACTION_USERS_LISTED, MAX_REACTION_CHARS, EXCERPT_CHARS, MAX_ATTACHMENTS } from "./limits.ts";
export { SYNC_BUDGET, SYNC_MIN_COST } from "./limits.ts";
export { ErrorCode, ErrorBody, HTTP_STATUS, ParleyError, errorBody, toParleyError } from "./errors.ts";
export { CloseCode, shouldReconnect, shouldReauthenticate, isTerminal } from "./close-codes.ts";
export {
  Seq, PageLimit, ClientMsgId, Rid, UserId, ConversationId, Body, ConversationKind, Role, PresenceStatus,
  Message, Member, ConversationView, Receipt, MessageAck, ClientFrame, ServerFrame, CLIENT_FRAME_TYPES,
  SendData, Reaction, ReactionSummary, Attachment, AttachmentId, ReplyPreview, EditData, DeleteData, ReactionData, ChangeAck, isReaction,
} from "./frames.ts";
export type { ClientFrameType, ServerFrameType, ServerData } from "./frames.ts";
export {
  Username, DevLoginRequest, LoginResponse, CreateConversationRequest, ConversationResponse, HistoryQuery,
  HistoryPage, SendMessageRequest, SendMessageResponse, HealthResponse, ConversationList, AddMembersRequest,
  SetRoleRequest, UpdateConversationRequest, ReadRequest, PollQuery, PollResponse, ReportRequest, MembersQuery, SeqParam, EditMessageRequest,
  MessageSearchQuery, MessageSearchPage, GlobalSearchResponse, SearchHit, UploadQuery, UploadResponse, MuteRequest,
  MemberEntry, MemberPage, ConversationListQuery, MAX_CONVERSATION_PAGE, DEFAULT_CONVERSATION_PAGE,
} from "./rest.ts";
export { parseClientFrame, describeIssue, utf8Length } from "./parse.ts";
export { queryNumber } from "./query.ts";
export { InboxConversation, InboxUpdate } from "./inbox.ts";
export type { ParseResult } from "./parse.ts";
export {
  DisplayName, AvatarUrl, NotificationSetting, GroupAddsSetting, Settings, DEFAULT_SETTINGS, UserView, MeResponse, PatchMeRequest,
  UserResponse, SearchQuery, SearchResponse, RefreshRequest, LogoutRequest, MAX_DISPLAY_NAME_CHARS,
  MAX_AVATAR_URL_CHARS, MAX_SEARCH_LIMIT, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_QUERY_CHARS, SetPresenceRequest, SetPresenceResponse,
} from "./users.ts";
export {
  Notification, NotificationDelivery, NotificationId, NotificationsQuery, NotificationsResponse, ReadNotificationsRequest, SettablePresence, InboxClientFrame, InboxServerFrame, INBOX_CLIENT_FRAME_TYPES,
  MAX_NOTIFICATION_IDS, MAX_INBOX_SOCKETS, parseInboxClientFrame, ContactPresence, MAX_SNAPSHOT_PRESENCE,
} from "./inbox-frames.ts";
export type { InboxServerFrameType, InboxServerData, InboxParseResult } from "./inbox-frames.ts";
export {
  OAuthProvider, SignInMethods, SESSION_MODE_HEADER, COOKIE_MODE, CredentialId, RegistrationResponseJson, AuthenticationResponseJson,
  CeremonyId, PasskeyName, PasskeyRegisterOptionsRequest, PasskeyLoginOptionsRequest, CeremonyOptions, PasskeyRegisterVerifyRequest,
  PasskeyLoginVerifyRequest, PasskeyId, PasskeyView, PasskeyList, PasskeyResponse, RenamePasskeyRequest, IdentityView, IdentityList,
  OAuthTicket, OAuthCompleteRequest, OAuthStartQuery, OAuthErrorCode, SessionView, SessionList, SignInOwner,
} from "./sign-in.ts";
export type { NewPasskey } from "./sign-in.ts";
export {
  TopicName, TopicAccess, TopicEvent, TopicConfigRequest, TopicView, TopicResponse, PublishResponse, TopicEventsQuery, TopicEventsPage,
  TopicClientFrame, TopicServerFrame, TOPIC_CLIENT_FRAME_TYPES, parseTopicClientFrame, MIN_TOPIC_COALESCE_MS, MAX_TOPIC_COALESCE_MS,
  MAX_TOPIC_RETENTION_EVENTS, MIN_TOPIC_RETENTION_MS, MAX_TOPIC_RETENTION_MS, MAX_TOPIC_USERS, MAX_TOPIC_FRAME_BYTES, MAX_TOPIC_FRAME_EVENTS,
  DEFAULT_TOPIC_PAGE,
} from "./topics.ts";
export type { TopicServerFrameType, TopicServerData } from "./topics.ts";
export { AddMembersResponse, BlockResponse, ReportResponse, MuteResponse, ReadNotificationsResponse } from "./responses.ts";
export {
  MAX_HOOK_URL_CHARS, HookUrl, CreateBotRequest, UpdateBotRequest, BotReply, WebhookEventType, CreateWebhookRequest, WebhookEvent, DeliveriesQuery,
  MAX_PUSH_SUBSCRIPTIONS, PushSubscriptionRequest, PushUnsubscribeQuery, PushPayload, MAX_INVITE_TTL_MS, DEFAULT_INVITE_TTL_MS, MAX_INVITE_USES,
  MAX_INVITES_PER_GROUP, CreateInviteRequest, InviteCode, InviteView, AdminReportsQuery, ReportIdParam, ResolveReportRequest, SuspendRequest,
  MAX_BOT_REPLY_CHARS,
} from "./integrations.ts";
export {
  RevokeOthersResponse, VapidKeyResponse, PushSubscribeResponse, PushUnsubscribeResponse, CreateInviteResponse, InviteList, InviteResponse,
  InvitePreview, JoinInviteResponse, CreateBotResponse, BotList, UpdateBotResponse, BotTokenResponse, RevokeBotTokenResponse, WebhookView,
  CreateWebhookResponse, WebhookList, DeleteWebhookResponse, DeliveryView, DeliveryPage, DeliveryResponse, ReplayResponse, AdminReport,
  AdminReportPage, AdminReportResponse, ResolveReportResponse, SuspendResponse, UnsuspendResponse, AdminUserResponse, OperatorDeleteResponse,
  MetricsResponse,
} from "./integration-responses.ts";
