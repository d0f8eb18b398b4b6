// Identities that name people (e-mail addresses, IAM user names) are personal data: findings
// show the first character and the domain only. Service accounts, groups and roles stay readable.

function maskLocal(local: string): string {
  return `${local.slice(0, 1)}***`;
}

/** "user:alice@acme.example" -> "user:a***@acme.example"; an IAM user ARN keeps its account. */
export function maskIdentity(value: string): string {
  const gcpUser = /^((?:deleted:)?user:)([^@]+)(@.*)$/.exec(value);
  if (gcpUser) return `${gcpUser[1]}${maskLocal(gcpUser[2]!)}${gcpUser[3]}`;
  const iamUser = /^(arn:[^:]+:iam::[^:]*:user\/(?:.*\/)?)([^/]+)$/.exec(value);
  if (iamUser) return `${iamUser[1]}${maskLocal(iamUser[2]!)}`;
  const email = /^([^@\s:]+)(@[^@\s]+)$/.exec(value);
  if (email) return `${maskLocal(email[1]!)}${email[2]}`;
  return value;
}
