{{/* Names ------------------------------------------------------------------ */}}

{{- define "pricewatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pricewatch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>", e.g. pricewatch-api. Call with (list $ "api"). */}}
{{- define "pricewatch.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "pricewatch.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* In-cluster DNS name of a component's Service, resolvable from any namespace
     (the KEDA operator reads RabbitMQ from its own). */}}
{{- define "pricewatch.serviceHost" -}}
{{- $root := index . 0 -}}
{{- printf "%s.%s.svc" (include "pricewatch.componentName" .) $root.Release.Namespace -}}
{{- end -}}

{{- define "pricewatch.secretName" -}}
{{- default (include "pricewatch.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "pricewatch.image" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s:%s" $root.Values.image.repositoryPrefix (index . 1) (default $root.Chart.AppVersion $root.Values.image.tag) -}}
{{- end -}}

{{/* Labels ----------------------------------------------------------------- */}}

{{- define "pricewatch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "pricewatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pricewatch
{{- end -}}

{{/* Call with (list $ "component"). */}}
{{- define "pricewatch.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "pricewatch.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "pricewatch.componentLabels" -}}
{{ include "pricewatch.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* The PriceWatch components that talk to the data stores. */}}
{{- define "pricewatch.appComponents" -}}
[api, scraper-worker, scheduler, notifier, migrate]
{{- end -}}

{{/* Connection URLs -------------------------------------------------------- */}}

{{- define "pricewatch.databaseUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "postgres://pricewatch:%s@%s:5432/pricewatch" (required "secrets.postgresPassword is required (or set secrets.existingSecret)" .Values.secrets.postgresPassword) (include "pricewatch.serviceHost" (list . "postgresql")) -}}
{{- else -}}
{{- required "secrets.databaseUrl is required when postgresql.enabled=false (or set secrets.existingSecret)" .Values.secrets.databaseUrl -}}
{{- end -}}
{{- end -}}

{{- define "pricewatch.redisUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://:%s@%s:6379/0" (required "secrets.redisPassword is required (or set secrets.existingSecret)" .Values.secrets.redisPassword) (include "pricewatch.serviceHost" (list . "redis")) -}}
{{- else -}}
{{- required "secrets.redisUrl is required when redis.enabled=false (or set secrets.existingSecret)" .Values.secrets.redisUrl -}}
{{- end -}}
{{- end -}}

{{- define "pricewatch.amqpUrl" -}}
{{- if .Values.rabbitmq.enabled -}}
{{- printf "amqp://pricewatch:%s@%s:5672/%%2f" (required "secrets.rabbitmqPassword is required (or set secrets.existingSecret)" .Values.secrets.rabbitmqPassword) (include "pricewatch.serviceHost" (list . "rabbitmq")) -}}
{{- else -}}
{{- required "secrets.amqpUrl is required when rabbitmq.enabled=false (or set secrets.existingSecret)" .Values.secrets.amqpUrl -}}
{{- end -}}
{{- end -}}

{{/* Pod pieces ------------------------------------------------------------- */}}

{{/* Secret-backed settings. Call with (list $ "NAME" ...); a name ending in
"?" is optional (the pod starts without it when the Secret lacks the key). */}}
{{- define "pricewatch.secretEnv" -}}
{{- $root := index . 0 -}}
{{- range $entry := rest . }}
{{- $key := trimSuffix "?" $entry }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "pricewatch.secretName" $root }}
      key: {{ $key }}
      {{- if hasSuffix "?" $entry }}
      optional: true
      {{- end }}
{{- end }}
{{- end -}}

{{/*
A PriceWatch Deployment. Call with a dict:
  root       the top context ($)
  component  api | scraper-worker | scheduler | notifier
  values     the component's values (.Values.api …)
  binary     the binary in the image
  port       its HTTP port (REST or probe)
  secrets    the Secret keys it reads
  replicas   replica count, or nil when an autoscaler owns it
  recreate   true for the Recreate strategy
*/}}
{{- define "pricewatch.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $name := include "pricewatch.componentName" (list $root .component) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "pricewatch.componentLabels" (list $root .component) | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" .replicas) }}
  replicas: {{ .replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- if .recreate }}
  strategy:
    type: Recreate
  {{- else }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  {{- end }}
  selector:
    matchLabels:
      {{- include "pricewatch.selectorLabels" (list $root .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "pricewatch.componentLabels" (list $root .component) | nindent 8 }}
      annotations:
        # Roll the pods when their settings change.
        checksum/config: {{ include (print $root.Template.BasePath "/configmaps.yaml") $root | sha256sum }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .component }}
          image: {{ include "pricewatch.image" (list $root .component) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: [{{ .binary | quote }}]
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ $name }}
          env:
            {{- include "pricewatch.secretEnv" (prepend .secrets $root) | trim | nindent 12 }}
          # Liveness never checks a dependency: a dead database must not get
          # pods killed. Readiness checks this service's own dependencies.
          startupProbe:
            httpGet: {path: /health/live, port: http}
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet: {path: /health/live, port: http}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet: {path: /health/ready, port: http}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* The Service in front of a component's HTTP port (REST or probe; Prometheus
     scrapes /metrics there). Call with (list $ "component" port). */}}
{{- define "pricewatch.service" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "pricewatch.componentName" (list $root $component) }}
  labels:
    {{- include "pricewatch.componentLabels" (list $root $component) | nindent 4 }}
    pricewatch.io/metrics: "true"
spec:
  type: ClusterIP
  selector:
    {{- include "pricewatch.selectorLabels" (list $root $component) | nindent 4 }}
  ports:
    - name: http
      port: {{ index . 2 }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/* PodDisruptionBudget. Call with (list $ "component" .Values.x.podDisruptionBudget). */}}
{{- define "pricewatch.pdb" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $pdb := index . 2 -}}
{{- if $pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "pricewatch.componentName" (list $root $component) }}
  labels:
    {{- include "pricewatch.componentLabels" (list $root $component) | nindent 4 }}
spec:
  {{- if hasKey $pdb "minAvailable" }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "pricewatch.selectorLabels" (list $root $component) | nindent 6 }}
{{- end }}
{{- end -}}

{{/* CPU HorizontalPodAutoscaler. Call with (list $ "component" .Values.x.autoscaling). */}}
{{- define "pricewatch.hpa" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $as := index . 2 -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "pricewatch.componentName" (list $root $component) }}
  labels:
    {{- include "pricewatch.componentLabels" (list $root $component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "pricewatch.componentName" (list $root $component) }}
  minReplicas: {{ $as.minReplicas }}
  maxReplicas: {{ $as.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $as.targetCPUUtilizationPercentage }}
{{- end -}}

{{/* KEDA ScaledObject on a RabbitMQ queue's length. Call with
     (list $ "component" .Values.x.autoscaling "queue suffix"). */}}
{{- define "pricewatch.scaledObject" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $as := index . 2 -}}
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ include "pricewatch.componentName" (list $root $component) }}
  labels:
    {{- include "pricewatch.componentLabels" (list $root $component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "pricewatch.componentName" (list $root $component) }}
  pollingInterval: {{ $root.Values.keda.pollingInterval }}
  cooldownPeriod: {{ $root.Values.keda.cooldownPeriod }}
  minReplicaCount: {{ $as.minReplicas }}
  maxReplicaCount: {{ $as.maxReplicas }}
  triggers:
    - type: rabbitmq
      metadata:
        protocol: amqp
        queueName: {{ printf "%s.%s" $root.Values.config.QUEUE_PREFIX (index . 3) | quote }}
        mode: QueueLength
        value: {{ $as.queueLength | quote }}
      authenticationRef:
        name: {{ include "pricewatch.fullname" $root }}-rabbitmq
{{- end -}}
