package io.svcreg.schema;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Readers of the spec fields shared by resources and package manifests. */
final class SpecFields {

  static final Keys ENDPOINT_KEYS = Keys.of("name", "port", "protocol");

  private SpecFields() {}

  /** {@code [{name, port, protocol}]} with unique names; protocol defaults to tcp. */
  static List<Endpoint> endpoints(Fields f, YamlNode node, String path) {
    Map<String, YamlNode> names = new HashMap<>();
    boolean[] dup = {false};
    List<Endpoint> list =
        f.listOf(
            node,
            path,
            (item, itemPath, i) -> {
              Obj o = f.obj(item, itemPath, item.line(), item.column(), ENDPOINT_KEYS);
              if (o == null) {
                return null;
              }
              YamlNode nameNode = o.required("name");
              String name =
                  nameNode == null
                      ? null
                      : f.checked(nameNode, o.path("name"), Names::endpointName);
              YamlNode portNode = o.required("port");
              Integer port =
                  portNode == null ? null : f.integer(portNode, o.path("port"), "port", 1, 65535);
              YamlNode protoNode = o.get("protocol");
              Protocol protocol =
                  protoNode == null
                      ? Protocol.TCP
                      : f.enumValue(
                          protoNode, o.path("protocol"), Protocol::parse, Protocol.allowed());
              if (name != null) {
                YamlNode first = names.putIfAbsent(name, nameNode);
                if (first != null) {
                  f.error(
                      nameNode,
                      o.path("name"),
                      "endpoint name `"
                          + name
                          + "` is used twice (first at line "
                          + first.line()
                          + ")");
                  dup[0] = true;
                  return null;
                }
              }
              if (name == null || port == null || protocol == null) {
                return null;
              }
              return new Endpoint(f.intern(name), port, protocol);
            });
    return dup[0] ? null : list;
  }

  /** A list of distinct strings, each checked by {@code check} (message or null). */
  static List<String> distinctStrings(
      Fields f, YamlNode node, String path, String what, Function<String, String> check) {
    Map<String, YamlNode> seen = new HashMap<>();
    return f.listOf(
        node,
        path,
        (item, itemPath, i) -> {
          String s = f.checked(item, itemPath, check);
          if (s == null) {
            return null;
          }
          YamlNode first = seen.putIfAbsent(s, item);
          if (first != null) {
            f.error(
                item,
                itemPath,
                what + " `" + s + "` is listed twice (first at line " + first.line() + ")");
            return null;
          }
          return f.intern(s);
        });
  }

  /** A mapping of strings to strings; keys checked by {@code keyCheck} (message or null). */
  static Map<String, String> stringMap(
      Fields f, YamlNode node, String path, Function<String, String> keyCheck) {
    if (!(node instanceof YamlNode.Mapping m)) {
      f.wrongType(node, path, "a mapping of names to strings");
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    boolean ok = true;
    for (YamlNode.Entry e : m.entries()) {
      String key = e.key().text();
      String entryPath = FieldPath.child(path, key);
      String bad = keyCheck.apply(key);
      if (bad != null) {
        f.error(e.key(), entryPath, bad);
        ok = false;
        continue;
      }
      String v = f.string(e.value(), entryPath);
      if (v == null) {
        ok = false;
      } else {
        out.put(f.intern(key), f.intern(v));
      }
    }
    return ok ? out : null;
  }

  /** A label or annotation key: any non-empty string. */
  static String anyKey(String key) {
    return key.isEmpty() ? "keys must not be empty" : null;
  }
}
