/**
 * The address of a dashboard sign-in link: the one form `tend staff login-link` prints and
 * `/tend login` sends in Slack. The base is where staff open Tend (TEND_PUBLIC_URL or --base-url).
 */
export function loginLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/dashboard/login?token=${encodeURIComponent(token)}`;
}
