/**
 * The bodies of `ParleyApi`'s invite-link calls (protocol §22.17) and web
 * push calls (§22.16); ./rest.ts keeps the public methods and their
 * documentation.
 */
import {
  CreateInviteResponse,
  InviteList,
  InvitePreview,
  InviteResponse,
  JoinInviteResponse,
  PushSubscribeResponse,
  PushUnsubscribeResponse,
  VapidKeyResponse,
  type InviteView,
  type PushSubscriptionRequest,
} from "../../src/protocol/index.ts";
import { conversationPath, queryString, type RestCall } from "./rest-request.ts";

// --- invite links ------------------------------------------------------------------

export function createInvite(call: RestCall, id: string, options: { expiresIn?: number; maxUses?: number }): Promise<CreateInviteResponse> {
  const body = { ...(options.expiresIn !== undefined ? { expires_in: options.expiresIn } : {}), ...(options.maxUses !== undefined ? { max_uses: options.maxUses } : {}) };
  return call("POST", `${conversationPath(id)}/invites`, body, CreateInviteResponse);
}

export async function invites(call: RestCall, id: string): Promise<InviteView[]> {
  return (await call("GET", `${conversationPath(id)}/invites`, undefined, InviteList)).invites;
}

export async function revokeInvite(call: RestCall, id: string, inviteIdOrCode: string): Promise<InviteView> {
  return (await call("DELETE", `${conversationPath(id)}/invites/${encodeURIComponent(inviteIdOrCode)}`, undefined, InviteResponse)).invite;
}

export async function previewInvite(call: RestCall, code: string): Promise<InvitePreview["invite"]> {
  return (await call("GET", `/v1/invites/${encodeURIComponent(code)}`, undefined, InvitePreview)).invite;
}

export function joinInvite(call: RestCall, code: string): Promise<JoinInviteResponse> {
  return call("POST", `/v1/invites/${encodeURIComponent(code)}/join`, undefined, JoinInviteResponse);
}

// --- web push ----------------------------------------------------------------------

export async function vapidKey(call: RestCall): Promise<string> {
  return (await call("GET", "/v1/push/vapid-key", undefined, VapidKeyResponse)).public_key;
}

export function subscribePush(call: RestCall, subscription: PushSubscriptionRequest): Promise<PushSubscribeResponse> {
  return call("POST", "/v1/me/push-subscriptions", subscription, PushSubscribeResponse);
}

export async function unsubscribePush(call: RestCall, endpoint: string): Promise<boolean> {
  return (await call("DELETE", `/v1/me/push-subscriptions?${queryString({ endpoint })}`, undefined, PushUnsubscribeResponse)).removed;
}
