{{/*
The control plane's namespace: kubefedNamespace when set; otherwise the release namespace, except
that a release in "default" (plain `helm install kubefed ./kubefed`) puts the control plane in
kube-federation-system, where kubefedctl looks by default.
*/}}
{{- define "kubefed.namespace" -}}
{{- if .Values.kubefedNamespace -}}
{{- .Values.kubefedNamespace -}}
{{- else if eq .Release.Namespace "default" -}}
kube-federation-system
{{- else -}}
{{- .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{- define "kubefed.namespaced" -}}
{{- if eq (include "kubefed.scope" .) "Namespaced" }}true{{ end -}}
{{- end -}}

{{- define "kubefed.scope" -}}
{{- $scope := .Values.global.scope | default "Cluster" -}}
{{- if not (has $scope (list "Cluster" "Namespaced")) -}}
{{- fail (printf "global.scope: %q is not a scope; set it to Cluster or Namespaced" $scope) -}}
{{- end -}}
{{- $scope -}}
{{- end -}}

{{/* Suffix of cluster-scoped object names, so that several Namespaced control planes coexist. */}}
{{- define "kubefed.clusterSuffix" -}}
{{- if include "kubefed.namespaced" . }}-{{ include "kubefed.namespace" . }}{{ end -}}
{{- end -}}

{{- define "kubefed.labels" -}}
app.kubernetes.io/name: kubefed
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}

{{/* image: <repository>/<image>:<tag>, tag defaulting to the chart's appVersion. */}}
{{- define "kubefed.image" -}}
{{- $c := index . 0 -}}
{{- $root := index . 1 -}}
{{- $name := $c.image | required "controllermanager.*.image: set the image name" -}}
{{- if $c.repository }}{{ $c.repository }}/{{ end }}{{ $name }}:{{ $c.tag | default $root.Chart.AppVersion }}
{{- end -}}

{{- define "kubefed.webhookEnabled" -}}
{{- if .Values.controllermanager.webhook.enabled }}true{{ end -}}
{{- end -}}

{{/* The webhook runs in the cluster (Deployment + Service) unless webhook.url points elsewhere. */}}
{{- define "kubefed.webhookInCluster" -}}
{{- if and .Values.controllermanager.webhook.enabled (not .Values.controllermanager.webhook.url) }}true{{ end -}}
{{- end -}}

{{- define "kubefed.podScheduling" -}}
{{- with .Values.controllermanager.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.controllermanager.commonNodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.controllermanager.commonTolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "kubefed.env" -}}
{{- range $name, $value := . }}
- name: {{ $name | quote }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/*
The webhook's serving certificate (YAML: ca, crt, key base64-encoded; sans): the existing Secret's
when its SANs still match, else a new one from a new CA (Helm genCA/genSignedCert). Generated once
per rendering (memoized in .Values) so that the Secret, the caBundles and the Deployment's
checksum agree. SANs: the Service's DNS names, plus the host of webhook.url when set.
*/}}
{{- define "kubefed.webhookCertificate" -}}
{{- if not (hasKey .Values "__kubefedWebhookCertificate") -}}
{{- $ns := include "kubefed.namespace" . -}}
{{- $svc := "kubefed-admission-webhook" -}}
{{- $dns := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) -}}
{{- $ips := list -}}
{{- with .Values.controllermanager.webhook.url -}}
{{- $host := (urlParse .).hostname -}}
{{- if not $host -}}
{{- fail (printf "controllermanager.webhook.url: %q has no host; use https://<host>:<port>" .) -}}
{{- end -}}
{{- if regexMatch "^[0-9.]+$|:" $host -}}
{{- $ips = append $ips $host -}}
{{- else -}}
{{- $dns = append $dns $host -}}
{{- end -}}
{{- end -}}
{{- $sans := printf "dns=%s;ip=%s" (join "," $dns) (join "," $ips) -}}
{{- $existing := lookup "v1" "Secret" $ns "kubefed-admission-webhook-serving-cert" -}}
{{- $cert := dict -}}
{{- if and $existing (eq (index (($existing.metadata).annotations | default dict) "kubefed.io/serving-cert-sans") $sans) -}}
{{- $cert = dict "ca" (index $existing.data "ca.crt") "crt" (index $existing.data "tls.crt") "key" (index $existing.data "tls.key") "sans" $sans -}}
{{- else -}}
{{- $ca := genCA "kubefed-admission-webhook-ca" 3650 -}}
{{- $leaf := genSignedCert (printf "%s.%s.svc" $svc $ns) $ips $dns 3650 $ca -}}
{{- $cert = dict "ca" ($ca.Cert | b64enc) "crt" ($leaf.Cert | b64enc) "key" ($leaf.Key | b64enc) "sans" $sans -}}
{{- end -}}
{{- $_ := set .Values "__kubefedWebhookCertificate" $cert -}}
{{- end -}}
{{- toYaml (index .Values "__kubefedWebhookCertificate") -}}
{{- end -}}

{{/* clientConfig of one webhook: (list $ path). */}}
{{- define "kubefed.webhookClientConfig" -}}
{{- $root := index . 0 -}}
{{- $path := index . 1 -}}
{{- $w := $root.Values.controllermanager.webhook -}}
{{- if $w.url -}}
url: {{ printf "%s%s" (trimSuffix "/" $w.url) $path | quote }}
{{- else -}}
service:
  namespace: {{ include "kubefed.namespace" $root | quote }}
  name: kubefed-admission-webhook
  path: {{ $path | quote }}
  port: 443
{{- end }}
caBundle: {{ $w.caBundle | default (fromYaml (include "kubefed.webhookCertificate" $root)).ca | quote }}
{{- end -}}

{{/* Settings every webhook shares: (list $ scopeOfRule). */}}
{{- define "kubefed.webhookCommon" -}}
{{- $root := index . 0 -}}
{{- $w := $root.Values.controllermanager.webhook -}}
{{- if not (has $w.failurePolicy (list "Fail" "Ignore")) -}}
{{- fail (printf "controllermanager.webhook.failurePolicy: %q is not a failure policy; set it to Fail or Ignore" $w.failurePolicy) -}}
{{- end -}}
admissionReviewVersions: ["v1"]
sideEffects: None
{{- /* A second argument overrides the failure policy (a hook whose work has a fallback). */}}
failurePolicy: {{ if gt (len .) 1 }}{{ index . 1 }}{{ else }}{{ $w.failurePolicy }}{{ end }}
timeoutSeconds: {{ $w.timeoutSeconds | int }}
{{- if include "kubefed.namespaced" $root }}
# A Namespaced control plane only admits objects of its own namespace.
namespaceSelector:
  matchLabels:
    kubernetes.io/metadata.name: {{ include "kubefed.namespace" $root | quote }}
{{- end }}
{{- end -}}

{{/* "true" when the dashboard is on and bound beyond loopback (it then checks bearer tokens). */}}
{{- define "kubefed.dashboardExposed" -}}
{{- $d := .Values.controllermanager.controller.dashboard -}}
{{- if and $d.enabled (not (regexMatch "^(:?[0-9]+|127\\.[0-9.]+:[0-9]+|localhost:[0-9]+|\\[::1\\]:[0-9]+)$" (toString $d.addr))) }}true{{ end -}}
{{- end -}}
