{{/*
A single-instance data store: a StatefulSet with one volume and its Service.
Call with a dict:
  root, component, values (.Values.postgresql …), port, portName,
  uid, gid, mountPath, env (list of EnvVar maps), command, args,
  liveness, readiness (exec commands)
*/}}
{{- define "pricewatch.datastore" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $name := include "pricewatch.componentName" (list $root .component) -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "pricewatch.componentLabels" (list $root .component) | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "pricewatch.selectorLabels" (list $root .component) | nindent 4 }}
  ports:
    - name: {{ .portName }}
      port: {{ .port }}
      targetPort: {{ .portName }}
      protocol: TCP
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  labels:
    {{- include "pricewatch.componentLabels" (list $root .component) | nindent 4 }}
spec:
  serviceName: {{ $name }}
  replicas: 1
  selector:
    matchLabels:
      {{- include "pricewatch.selectorLabels" (list $root .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "pricewatch.componentLabels" (list $root .component) | nindent 8 }}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ .uid }}
        runAsGroup: {{ .gid }}
        fsGroup: {{ .gid }}
        seccompProfile:
          type: RuntimeDefault
      terminationGracePeriodSeconds: 60
      containers:
        - name: {{ .component }}
          image: {{ $v.image }}
          {{- with .command }}
          command:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with .args }}
          args:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: {{ .portName }}
              containerPort: {{ .port }}
              protocol: TCP
          env:
            {{- toYaml .env | nindent 12 }}
          livenessProbe:
            exec:
              command:
                {{- toYaml .liveness | nindent 16 }}
            initialDelaySeconds: 30
            periodSeconds: 15
            timeoutSeconds: 10
            failureThreshold: 6
          readinessProbe:
            exec:
              command:
                {{- toYaml .readiness | nindent 16 }}
            periodSeconds: 10
            timeoutSeconds: 10
            failureThreshold: 3
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: data
              mountPath: {{ .mountPath }}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        {{- with $v.storageClassName }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ $v.storage }}
{{- end -}}

{{/* EnvVar from the release Secret. Call with (list $ "ENV_NAME" "SECRET_KEY"). */}}
{{- define "pricewatch.secretEnvVar" -}}
{{- $root := index . 0 -}}
{{- dict "name" (index . 1) "valueFrom" (dict "secretKeyRef" (dict "name" (include "pricewatch.secretName" $root) "key" (index . 2))) | toJson -}}
{{- end -}}
