import { type ApiResult, apiFetch } from "./client.js";

/** An Alertmanager v2 matcher. */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}

/** A silence as Alertmanager's API v2 sends it. */
export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  updatedAt?: string;
  createdBy: string;
  comment: string;
  status: { state: "active" | "pending" | "expired" };
}

/** What POST /api/v2/silences takes (an `id` updates an existing silence). */
export interface PostableSilence {
  id?: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** `GET /api/v2/silences`. */
export const silences = (): Promise<ApiResult<Silence[]>> => apiFetch("/api/v2/silences");

/** `POST /api/v2/silences`; answers the new silence's id. */
export const createSilence = (s: PostableSilence): Promise<ApiResult<{ silenceID: string }>> =>
  apiFetch("/api/v2/silences", { method: "POST", json: s });

/** `DELETE /api/v2/silence/{id}`: expires the silence. */
export const expireSilence = (id: string): Promise<ApiResult<unknown>> =>
  apiFetch(`/api/v2/silence/${encodeURIComponent(id)}`, { method: "DELETE" });
