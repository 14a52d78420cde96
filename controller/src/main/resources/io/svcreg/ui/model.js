// What the views derive from an ObservedService (one rule each, shared by the views).

/** Whether the observed state lags the desired one. */
export function outOfSync(s) {
  const st = s.status ?? {};
  const want = s.spec?.state ?? "running";
  return (
    (st.observedGeneration ?? 0) !== s.generation ||
    (want === "running" && st.deployedVersion !== s.spec?.version) ||
    (want === "running" && st.phase !== "running") ||
    (want === "stopped" && st.phase !== "stopped")
  );
}

/** Whether the service is failing: its health check, its phase, or a Degraded condition. */
export function degraded(s) {
  const st = s.status ?? {};
  return (
    st.health?.state === "failing" ||
    st.phase === "failed" ||
    (st.conditions ?? []).some((c) => c.type === "Degraded" && c.status === "True")
  );
}

/** The latest lastTransitionTime of the service's conditions ("" when none). */
export function lastTransition(s) {
  let last = "";
  for (const c of s.status?.conditions ?? []) {
    if ((c.lastTransitionTime ?? "") > last) last = c.lastTransitionTime;
  }
  return last;
}

/** Sort order: degraded first, then out of sync, then by name. */
export function byAttention(a, b) {
  const rank = (s) => (degraded(s) ? 0 : outOfSync(s) ? 1 : 2);
  return rank(a) - rank(b) || a.metadata.name.localeCompare(b.metadata.name);
}

/** "a=b" for each label. */
export function labelTexts(s) {
  return Object.entries(s.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`);
}
