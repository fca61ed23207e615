/** Kubernetes name rules (DNS-1123, DNS-1035), each saying why a value breaks it and what to write. */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why `v` is not a DNS-1123 subdomain (`example.com`, `cluster-2`), or undefined. */
export function subdomainProblem(v: string): string | undefined {
  if (v.length <= 253 && DNS1123_SUBDOMAIN.test(v)) return undefined;
  return `${JSON.stringify(v)} is not a DNS-1123 subdomain: use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (e.g. example.com)`;
}

/** Why `v` is not a DNS-1123 label (`cluster-2`), or undefined. */
export function labelProblem(v: string): string | undefined {
  if (v.length <= 63 && DNS1123_LABEL.test(v)) return undefined;
  return `${JSON.stringify(v)} is not a DNS-1123 label: use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit (e.g. cluster-2)`;
}

/** Why `v` is not a DNS-1035 label (`v1beta1`, `deployments`), or undefined. */
export function dns1035Problem(v: string): string | undefined {
  if (v.length <= 63 && DNS1035_LABEL.test(v)) return undefined;
  return `${JSON.stringify(v)} is not a DNS-1035 label: use at most 63 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. v1beta1)`;
}
