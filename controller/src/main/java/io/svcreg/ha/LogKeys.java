package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import java.util.Arrays;

/**
 * Where a group's replicated store lives in etcd: the log of its commits at {@code {prefix}log} and
 * its state under {@code {prefix}state/}, keyed as {@link io.svcreg.store.ReplicatedState} names
 * it.
 */
record LogKeys(String prefix) {

  /** The prefix unless one is given. */
  static final String DEFAULT_PREFIX = "/svcreg/";

  LogKeys {
    if (!prefix.startsWith("/") || !prefix.endsWith("/")) {
      throw new IllegalArgumentException(
          "the etcd key prefix must start and end with '/', like /svcreg/: " + prefix);
    }
  }

  /** The log's key: each put is one replicated commit, at the put's mod revision. */
  ByteSequence log() {
    return bytes(prefix + "log");
  }

  /** The first key of the state. */
  ByteSequence state() {
    return bytes(prefix + "state/");
  }

  /** The end (exclusive) of the state's key range. */
  ByteSequence stateEnd() {
    byte[] b = state().getBytes();
    byte[] end = Arrays.copyOf(b, b.length);
    end[end.length - 1]++;
    return ByteSequence.from(end);
  }

  /** The etcd key of a state key. */
  ByteSequence state(String key) {
    return bytes(prefix + "state/" + key);
  }

  /** The state key of an etcd key under {@link #state()}. */
  String stateKey(ByteSequence key) {
    return key.toString(UTF_8).substring(prefix.length() + "state/".length());
  }

  /** {@code s} as UTF-8 bytes. */
  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }
}
