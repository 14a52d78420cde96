package io.svcreg.core.rollout;

import java.util.Map;

/** An event a decision journals: its type, resource key and data (in insertion order). */
public record EventDraft(String type, String key, Map<String, Object> data) {}
