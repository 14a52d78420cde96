package io.svcreg.loop;

/**
 * What an operator's command was recorded as: the service, the action ({@code start}, {@code stop},
 * {@code restart} or {@code deploy}), the spec's version of the service, and the revision of the
 * journal event that recorded it (its effects follow as later events).
 */
public record ActionReceipt(String name, String action, String version, long revision) {}
