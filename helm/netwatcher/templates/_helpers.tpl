{{/* Chart name, truncated to the 63 characters of a label value. */}}
{{- define "netwatcher.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart unless the release name already contains the chart name. */}}
{{- define "netwatcher.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Selector labels: stable for the life of a release. */}}
{{- define "netwatcher.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netwatcher.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The standard labels of every object. */}}
{{- define "netwatcher.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "netwatcher.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: node-agent
app.kubernetes.io/part-of: netwatcher
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "netwatcher.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "netwatcher.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The agent's options file (picocli @-file: one argument per line). Options that name paths inside
the container (--cgroup-root) are on the command line instead.
*/}}
{{- define "netwatcher.args" -}}
{{- $a := .Values.agent -}}
--sample {{ int64 $a.sample }}
--max-events-per-sec {{ int64 $a.maxEventsPerSec }}
--max-errors-per-sec {{ int64 $a.maxErrorsPerSec }}
--interval {{ $a.interval }}
{{- with $a.events }}
--events {{ join "," . }}
{{- end }}
{{- if $a.sport }}
--sport {{ int64 $a.sport }}
{{- end }}
{{- if $a.dport }}
--dport {{ int64 $a.dport }}
{{- end }}
{{- if $a.http }}
--http
{{- end }}
{{- if not $a.dns }}
--no-dns
{{- end }}
{{- if not $a.dnsNames }}
--no-dns-names
{{- end }}
--dns-timeout {{ $a.dnsTimeout }}
{{- if $a.netfilterTimes }}
--netfilter-times
{{- end }}
--ring-buffer-mb {{ int64 $a.ringBufferMb }}
--max-connections {{ int64 $a.maxConnections }}
--max-series {{ int64 $a.maxSeries }}
{{- if $a.anomalies.enabled }}
--anomaly-sensitivity {{ $a.anomalies.sensitivity }}
--anomaly-warmup {{ int64 $a.anomalies.warmup }}
--anomaly-min-samples {{ int64 $a.anomalies.minSamples }}
--anomaly-min-rise {{ $a.anomalies.minRiseUs }}
{{- else }}
--no-anomalies
{{- end }}
{{- with $a.preferHook }}
--prefer-hook {{ . }}
{{- end }}
{{- if $a.bpfStats }}
--bpf-stats
{{- end }}
{{- with $a.includeNamespaces }}
--namespaces {{ join "," . }}
{{- end }}
{{- with $a.excludeNamespaces }}
--exclude-namespaces {{ join "," . }}
{{- end }}
{{- with $a.clusterName }}
--cluster-name {{ . | quote }}
{{- end }}
--metrics-port {{ int64 .Values.metrics.port }}
--metrics-address {{ .Values.metrics.address }}
{{- with .Values.otlp.endpoint }}
--otlp-endpoint {{ . }}
--otlp-protocol {{ $.Values.otlp.protocol }}
--metric-export-interval {{ $.Values.otlp.metricExportInterval }}
{{- end }}
{{- range $a.extraArgs }}
{{ . | quote }}
{{- end }}
{{- end }}
