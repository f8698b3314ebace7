/** A request the local cloud turns away before any routing: the HTTP status and one line saying why. */
export interface Refusal {
  status: number;
  reason: string;
}
