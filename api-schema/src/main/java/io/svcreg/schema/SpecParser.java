package io.svcreg.schema;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Parses one spec file (any number of {@code ---} documents) strictly: unknown fields, wrong types,
 * YAML 1.1 surprises and invalid values are problems at the offending field, and valid documents
 * become {@link Network}s and {@link Service}s with defaults applied and package manifests merged
 * in. Rules that involve other resources are checked by {@link SpecValidator}.
 */
public final class SpecParser {

  /** The only {@code apiVersion}. */
  public static final String API_VERSION = "svcreg.io/v1";

  /** Largest spec file read. */
  public static final long MAX_FILE_BYTES = 128L << 20;

  static final Keys TOP_KEYS = Keys.of("apiVersion", "kind", "metadata", "spec");
  static final Keys METADATA_KEYS = Keys.of("name", "labels", "annotations");
  static final Keys NETWORK_KEYS = Keys.of("type", "subnet", "reserved", "nodes", "wireguard");
  static final Keys NODE_KEYS = Keys.of("name", "address", "ssh", "installRoot");
  static final Keys SSH_KEYS = Keys.of("user", "port", "identityFile", "knownHosts");
  static final Keys WIREGUARD_KEYS = Keys.of("configPath");
  static final Keys SERVICE_KEYS =
      Keys.of(
          "version",
          "package",
          "network",
          "node",
          "address",
          "execution",
          "endpoints",
          "dependsOn",
          "env",
          "health",
          "state",
          "rollout");
  static final Keys EXECUTION_KEYS = Keys.of("type");
  static final Keys HEALTH_KEYS = Keys.of("script", "interval", "timeout", "failureThreshold");
  static final Keys ROLLOUT_KEYS = Keys.of("progressDeadline", "autoRollback");

  private static final Ipv4 LOOPBACK = Ipv4.of("127.0.0.0");

  private SpecParser() {}

  /**
   * Parses YAML text already in memory (e.g. received by {@code apply}); {@code fileName} names it
   * in problems and {@code baseDir} is the directory packages are resolved from.
   */
  public static ParsedFile parse(String fileName, String text, Path baseDir) {
    return parse(fileName, text, baseDir, ParseContext.ofWorkingDirectory());
  }

  /**
   * {@link #parse(String, String, Path)} as if each package path that is a key of {@code
   * packagesAt} (or lies below one) held what its value holds; keys and values are absolute. For
   * {@code apply}, which validates specs before it copies their packages into place.
   */
  public static ParsedFile parse(
      String fileName, String text, Path baseDir, Map<Path, Path> packagesAt) {
    return parse(fileName, text, baseDir, ParseContext.ofWorkingDirectory(packagesAt));
  }

  static ParsedFile parse(String fileName, String text, Path baseDir, ParseContext ctx) {
    return new FileParse(fileName, baseDir, ctx).run(text);
  }

  /**
   * Reads and parses files (in parallel when there are many); {@code names} are how they are shown.
   * The result is in the order given.
   */
  static List<ParsedFile> readAll(List<String> names, List<Path> paths, ParseContext ctx) {
    return readAll(names, paths, ctx, null);
  }

  /**
   * {@link #readAll(List, List, ParseContext)} of files read before as {@code earlier} (null, or
   * null entries, for files not read before): see {@link #read(Path, String, ParseContext,
   * ParsedFile)}.
   */
  static List<ParsedFile> readAll(
      List<String> names, List<Path> paths, ParseContext ctx, List<ParsedFile> earlier) {
    ParsedFile[] out = new ParsedFile[names.size()];
    IntConsumer readOne =
        i ->
            out[i] = read(paths.get(i), names.get(i), ctx, earlier == null ? null : earlier.get(i));
    if (out.length >= PARALLEL_THRESHOLD) {
      // a parallel stream runs in the pool of the task that starts it
      READERS.submit(() -> IntStream.range(0, out.length).parallel().forEach(readOne)).join();
    } else {
      IntStream.range(0, out.length).forEach(readOne);
    }
    return Arrays.asList(out);
  }

  /** Fewest files read in parallel. */
  private static final int PARALLEL_THRESHOLD = 32;

  /**
   * The threads that read files in parallel: a pool of their own, not the JVM's common pool, whose
   * threads (one on two CPUs) a read that blocks (a named pipe, a network file system that hangs)
   * would otherwise hold, and with them everything else of the process that uses it (such as {@code
   * java.net.http}'s completions).
   */
  private static final ForkJoinPool READERS =
      new ForkJoinPool(
          Runtime.getRuntime().availableProcessors(),
          pool -> {
            ForkJoinWorkerThread t =
                ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setName("svcreg-spec-reader-" + t.getPoolIndex());
            return t;
          },
          null,
          false);

  /** Reads and parses a file; the name shown is {@code display}. */
  static ParsedFile read(Path path, String display, ParseContext ctx) {
    return read(path, display, ctx, null);
  }

  /**
   * Reads and parses a file read before as {@code earlier} (or null): only the documents whose text
   * or first line changed are parsed again when both reads can be cut into documents (see {@link
   * Segments}) and every document reads without a problem; otherwise the whole file is parsed.
   */
  static ParsedFile read(Path path, String display, ParseContext ctx, ParsedFile earlier) {
    byte[] bytes;
    try {
      if (Files.size(path) > MAX_FILE_BYTES) {
        return ParsedFile.unreadable(display, "file is larger than 128 MiB; split it");
      }
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return ParsedFile.unreadable(display, "file not found");
    } catch (IOException e) {
      return ParsedFile.unreadable(display, "cannot read file: " + e.getMessage());
    }
    String text;
    try {
      text = Packages.decode(bytes);
    } catch (CharacterCodingException e) {
      return ParsedFile.unreadable(display, "not valid UTF-8 text");
    }
    Path parent = path.getParent();
    Path baseDir = parent == null ? Path.of("") : parent;
    if (earlier != null && earlier.segments != null && ctx.keepSegments) {
      ParsedFile again = parseChanged(display, text, baseDir, ctx, earlier.segments);
      if (again != null) {
        return again;
      }
    }
    return parse(display, text, baseDir, ctx);
  }

  /**
   * The parse of {@code text} that reuses the unchanged documents of {@code earlier}, or null when
   * the text is not cut or a changed document does not read cleanly on its own (then the whole file
   * is parsed, so that every problem is reported exactly as a full parse reports it).
   */
  private static ParsedFile parseChanged(
      String file, String text, Path baseDir, ParseContext ctx, Segments earlier) {
    int[] cut = Segments.cut(text);
    if (cut == null) {
      return null;
    }
    MessageDigest sha = Segments.sha256();
    List<Declaration> decls = new ArrayList<>();
    Set<String> packages = new LinkedHashSet<>();
    List<Segments.Piece> pieces = new ArrayList<>(cut.length / 3);
    int from = 0;
    for (int k = 0; k < cut.length; k += 3) {
      long[] h = Segments.hash(sha, text, cut[k], cut[k + 1]);
      int line = cut[k + 2];
      Segments.Piece same = null;
      for (int j = 0; j < earlier.pieces.size() && same == null; j++) {
        Segments.Piece p = earlier.pieces.get((from + j) % earlier.pieces.size());
        if (p.reusable() && p.sameText(h[0], h[1], line) && current(p, ctx)) {
          same = p;
          from = (from + j + 1) % earlier.pieces.size();
        }
      }
      if (same != null) {
        if (same.declaration() != null) {
          decls.add(same.declaration().again(same.asParsed()));
        }
        for (Packages.Resolved r : same.packages()) {
          packages.add(r.key());
        }
        pieces.add(same);
        continue;
      }
      // Parsed alone, with blank lines before it so that lines are as in the file.
      FileParse one = new FileParse(file, baseDir, ctx, false);
      ParsedFile pf = one.run("\n".repeat(line - 1) + text.substring(cut[k], cut[k + 1]));
      Segments.Piece piece = Segments.piece(h, line, one.docs);
      if (!pf.problems().isEmpty() || !pf.complete() || !piece.reusable()) {
        return null;
      }
      decls.addAll(pf.declarations());
      packages.addAll(pf.packages());
      pieces.add(piece);
    }
    ParsedFile out =
        new ParsedFile(ctx.interner.intern(file), decls, List.of(), true, List.copyOf(packages));
    out.segments = new Segments(pieces);
    return out;
  }

  /** Whether the packages {@code p} resolved are unchanged (then they count as resolved now). */
  private static boolean current(Segments.Piece p, ParseContext ctx) {
    for (Packages.Resolved r : p.packages()) {
      if (!ctx.packages.stillCurrent(r)) {
        return false;
      }
    }
    return true;
  }

  /** The parse of one file. */
  private static final class FileParse {
    private final String file;
    private final Path baseDir;
    private final ParseContext ctx;
    private final List<Problem> problems = new ArrayList<>();
    private final Fields f;
    private final List<Declaration> decls = new ArrayList<>();
    private final Set<String> packages = new LinkedHashSet<>();
    private boolean complete = true;
    // The problems of the current document that come from its package (see service()).
    private int packageProblems;

    /** What each document read to, when recorded (segments kept), else null. */
    final List<Segments.Doc> docs;

    private final boolean keepSegments;
    private List<Packages.Resolved> docPackages;

    FileParse(String file, Path baseDir, ParseContext ctx) {
      this(file, baseDir, ctx, ctx.keepSegments);
    }

    /** A parse that records its documents when the context keeps segments. */
    FileParse(String file, Path baseDir, ParseContext ctx, boolean keepSegments) {
      this.file = ctx.interner.intern(file);
      this.baseDir = baseDir;
      this.ctx = ctx;
      this.f = new Fields(this.file, problems, ctx.interner);
      this.docs = ctx.keepSegments ? new ArrayList<>() : null;
      this.keepSegments = keepSegments;
    }

    ParsedFile run(String text) {
      YamlReader.Result read = YamlReader.read(file, text);
      for (YamlReader.Document doc : read.documents()) {
        if (docs == null) {
          document(doc);
        } else {
          recorded(doc);
        }
      }
      if (read.syntaxError() != null) {
        problems.add(read.syntaxError());
        complete = false;
        decls.replaceAll(Declaration::invalidated);
      }
      ParsedFile pf = new ParsedFile(file, decls, problems, complete, List.copyOf(packages));
      if (keepSegments && read.syntaxError() == null) {
        pf.segments = Segments.of(text, docs);
      }
      return pf;
    }

    /** {@link #document} that records what the document read to in {@link #docs}. */
    private void recorded(YamlReader.Document doc) {
      int problemsBefore = problems.size();
      int declsBefore = decls.size();
      boolean completeBefore = complete;
      complete = true;
      docPackages = new ArrayList<>(1);
      document(doc);
      boolean clean =
          complete
              && problems.size() == problemsBefore
              && decls.size() == declsBefore + 1
              && decls.get(declsBefore).valid();
      docs.add(
          new Segments.Doc(
              doc.root().line(),
              decls.size() > declsBefore ? decls.get(declsBefore) : null,
              clean,
              docPackages));
      docPackages = null;
      complete &= completeBefore;
    }

    private void document(YamlReader.Document doc) {
      int before = problems.size();
      packageProblems = 0;
      problems.addAll(doc.problems());
      YamlNode root = doc.root();
      Obj top = f.obj(root, "", root.line(), root.column(), TOP_KEYS);
      if (top == null) {
        complete = false;
        return;
      }
      YamlNode api = top.required("apiVersion");
      if (api != null) {
        String v = f.string(api, "apiVersion");
        if (v != null && !v.equals(API_VERSION)) {
          f.error(api, "apiVersion", "unsupported apiVersion `" + v + "`; expected " + API_VERSION);
        }
      }
      Kind kind = null;
      YamlNode k = top.required("kind");
      if (k != null) {
        String v = f.string(k, "kind");
        if (v != null) {
          kind = Kind.parse(v).orElse(null);
          if (kind == null) {
            f.error(k, "kind", "unknown kind `" + v + "`; expected Network | Service");
          }
        }
      }
      Obj meta = top.obj("metadata", true, METADATA_KEYS);
      String name = null;
      YamlNode nameNode = null;
      Map<String, String> labels = Map.of();
      Map<String, String> annotations = Map.of();
      if (meta != null) {
        nameNode = meta.required("name");
        name = nameNode == null ? null : f.checked(nameNode, "metadata.name", Names::dnsLabel);
        name = name == null ? null : f.intern(name);
        YamlNode l = meta.get("labels");
        if (l != null) {
          labels = SpecFields.stringMap(f, l, "metadata.labels", SpecFields::anyKey);
        }
        YamlNode a = meta.get("annotations");
        if (a != null) {
          annotations = SpecFields.stringMap(f, a, "metadata.annotations", SpecFields::anyKey);
        }
      }
      if (kind == null || name == null) {
        complete = false;
        return;
      }
      Obj spec = top.obj("spec", true, kind == Kind.NETWORK ? NETWORK_KEYS : SERVICE_KEYS);
      Metadata md =
          labels == null || annotations == null ? null : new Metadata(name, labels, annotations);
      Location origin = new Location(file, root.line(), root.column());
      Declaration d =
          spec == null
              ? null
              : kind == Kind.NETWORK
                  ? network(spec, md, origin, nameNode)
                  : service(spec, md, origin, nameNode);
      if (d == null || problems.size() - before != packageProblems) {
        d = Declaration.invalid(kind, name, file, nameNode.line(), nameNode.column());
      } else if (packageProblems > 0) {
        d = d.provisional();
      }
      decls.add(d);
    }

    // ---- Network ---------------------------------------------------------------------------

    private Declaration network(Obj spec, Metadata md, Location origin, YamlNode nameNode) {
      YamlNode typeNode = spec.required("type");
      NetworkType type =
          typeNode == null
              ? null
              : f.enumValue(typeNode, "spec.type", NetworkType::parse, NetworkType.allowed());
      Cidr subnet = subnet(spec, type);
      List<Ipv4> reserved = List.of();
      YamlNode r = spec.get("reserved");
      if (r != null) {
        reserved = reserved(r, subnet);
      }
      List<Node> nodes = List.of();
      YamlNode.Scalar nodesKey = spec.key("nodes");
      if (nodesKey != null) {
        if (type == NetworkType.LOCAL) {
          f.error(
              nodesKey,
              "spec.nodes",
              "a local network has one implicit node `"
                  + Node.LOCAL_NODE
                  + "` (this host); remove `nodes`");
        } else {
          nodes = nodes(spec.get("nodes"), type, subnet, reserved);
        }
      }
      Optional<WireGuard> wg = Optional.empty();
      YamlNode.Scalar wgKey = spec.key("wireguard");
      if (type == NetworkType.WIREGUARD && wgKey == null) {
        f.error(
            spec.line,
            spec.column,
            "spec.wireguard",
            "missing required field `wireguard`: a wireguard network needs"
                + " `wireguard: {configPath: /etc/wireguard/wg0.conf}`");
      } else if (type == NetworkType.WIREGUARD) {
        Obj w = spec.obj("wireguard", true, WIREGUARD_KEYS);
        if (w != null) {
          YamlNode c = w.required("configPath");
          String path = c == null ? null : f.nonEmpty(c, w.path("configPath"));
          if (path != null) {
            wg = Optional.of(new WireGuard(path));
          }
        }
      } else if (wgKey != null && type != null) {
        f.error(
            wgKey,
            "spec.wireguard",
            "only networks of type wireguard take `wireguard` settings (this one is " + type + ")");
      }
      if (md == null || type == null || subnet == null || reserved == null || nodes == null) {
        return null;
      }
      Network n = Network.of(md, new NetworkSpec(type, subnet, reserved, nodes, wg), origin);
      return new Declaration(
          Kind.NETWORK, md.name(), file, nameNode.line(), nameNode.column(), n, false, null);
    }

    private Cidr subnet(Obj spec, NetworkType type) {
      YamlNode s = spec.required("subnet");
      String text = s == null ? null : f.string(s, "spec.subnet");
      if (text == null) {
        return null;
      }
      Cidr cidr =
          switch (Cidr.parse(text)) {
            case Cidr.Parsed.Ok ok -> ok.cidr();
            case Cidr.Parsed.Invalid bad -> {
              f.error(s, "spec.subnet", "`" + text + "` is not a valid subnet: " + bad.reason());
              yield null;
            }
          };
      if (cidr != null
          && type == NetworkType.LOCAL
          && (cidr.prefix() < 8 || !new Cidr(LOOPBACK, 8).contains(cidr.base()))) {
        f.error(
            s,
            "spec.subnet",
            "a local network's subnet must be inside 127.0.0.0/8 (loopback), e.g. 127.0.10.0/24");
        return null;
      }
      return cidr;
    }

    /** The address in {@code node}, or null (reported) when not a usable address of the subnet. */
    private Ipv4 address(YamlNode node, String path, Cidr subnet) {
      String text = f.string(node, path);
      if (text == null) {
        return null;
      }
      Optional<Ipv4> ip = Ipv4.parse(text);
      if (ip.isEmpty()) {
        f.error(node, path, "`" + text + "` is not an IPv4 address; expected e.g. 192.168.1.10");
        return null;
      }
      if (subnet != null) {
        if (!subnet.contains(ip.get())) {
          f.error(node, path, "address " + text + " is outside the subnet " + subnet);
          return null;
        }
        if (subnet.isNetworkOrBroadcast(ip.get())) {
          f.error(
              node,
              path,
              "address "
                  + text
                  + " is the "
                  + (ip.get().equals(subnet.network()) ? "network" : "broadcast")
                  + " address of "
                  + subnet);
          return null;
        }
      }
      return ip.get();
    }

    private List<Ipv4> reserved(YamlNode r, Cidr subnet) {
      Map<Ipv4, YamlNode> seen = new HashMap<>();
      return f.listOf(
          r,
          "spec.reserved",
          (item, path, i) -> {
            Ipv4 ip = address(item, path, subnet);
            if (ip != null) {
              YamlNode first = seen.putIfAbsent(ip, item);
              if (first != null) {
                f.error(
                    item,
                    path,
                    "address " + ip + " is listed twice (first at line " + first.line() + ")");
                return null;
              }
            }
            return ip;
          });
    }

    private List<Node> nodes(YamlNode n, NetworkType type, Cidr subnet, List<Ipv4> reserved) {
      Map<String, YamlNode> names = new HashMap<>();
      Map<Ipv4, YamlNode> addresses = new HashMap<>();
      return f.listOf(
          n,
          "spec.nodes",
          (item, path, i) -> {
            Obj o = f.obj(item, path, item.line(), item.column(), NODE_KEYS);
            if (o == null) {
              return null;
            }
            YamlNode nameNode = o.required("name");
            String name =
                nameNode == null ? null : f.checked(nameNode, o.path("name"), Names::dnsLabel);
            if (name != null) {
              YamlNode first = names.putIfAbsent(name, nameNode);
              if (first != null) {
                f.error(
                    nameNode,
                    o.path("name"),
                    "node name `" + name + "` is used twice (first at line " + first.line() + ")");
                name = null;
              }
            }
            YamlNode a = o.required("address");
            Ipv4 address = a == null ? null : address(a, o.path("address"), subnet);
            if (address != null) {
              if (reserved != null && reserved.contains(address)) {
                f.error(a, o.path("address"), "address " + address + " is listed in spec.reserved");
                address = null;
              } else {
                YamlNode first = addresses.putIfAbsent(address, a);
                if (first != null) {
                  f.error(
                      a,
                      o.path("address"),
                      "address "
                          + address
                          + " is already the address of another node (line "
                          + first.line()
                          + ")");
                  address = null;
                }
              }
            }
            Ssh ssh = null;
            Obj s = o.obj("ssh", false, SSH_KEYS);
            if (s != null) {
              ssh = ssh(s);
            } else if (o.get("ssh") == null && type != null) {
              f.error(
                  o.line,
                  o.column,
                  o.path("ssh"),
                  "missing required field `ssh`: "
                      + type
                      + " nodes are reached over SSH; give at least `ssh: {user: ...}`");
            }
            String installRoot = Node.DEFAULT_INSTALL_ROOT;
            YamlNode ir = o.get("installRoot");
            if (ir != null) {
              installRoot = f.checked(ir, o.path("installRoot"), Names::absolutePath);
            }
            if (name == null || address == null || ssh == null || installRoot == null) {
              return null;
            }
            return new Node(f.intern(name), address, ssh, f.intern(installRoot));
          });
    }

    private Ssh ssh(Obj s) {
      YamlNode u = s.required("user");
      String user = u == null ? null : f.nonEmpty(u, s.path("user"));
      YamlNode p = s.get("port");
      // Integer.valueOf: with a bare int default the conditional would unbox a null (a bad port)
      Integer port =
          p == null
              ? Integer.valueOf(Ssh.DEFAULT_PORT)
              : f.integer(p, s.path("port"), "port", 1, 65535);
      YamlNode id = s.get("identityFile");
      String identity =
          id == null ? Ssh.DEFAULT_IDENTITY_FILE : f.nonEmpty(id, s.path("identityFile"));
      YamlNode kh = s.get("knownHosts");
      String known = kh == null ? Ssh.DEFAULT_KNOWN_HOSTS : f.nonEmpty(kh, s.path("knownHosts"));
      if (user == null || port == null || identity == null || known == null) {
        return null;
      }
      return new Ssh(f.intern(user), port, f.intern(identity), f.intern(known));
    }

    // ---- Service ---------------------------------------------------------------------------

    private Declaration service(Obj spec, Metadata md, Location origin, YamlNode nameNode) {
      int[] pos = new int[2 * Declaration.P_DEPS];
      mark(pos, Declaration.P_SPEC, spec.line, spec.column);
      YamlNode v = spec.required("version");
      String version = v == null ? null : f.checked(v, "spec.version", Names::version);
      YamlNode p = spec.required("package");
      String packageRef = p == null ? null : f.nonEmpty(p, "spec.package");
      mark(pos, Declaration.P_PACKAGE, p);
      YamlNode net = spec.required("network");
      String network = net == null ? null : f.checked(net, "spec.network", Names::dnsLabel);
      mark(pos, Declaration.P_NETWORK, net);
      YamlNode nodeNode = spec.get("node");
      String node = nodeNode == null ? null : f.checked(nodeNode, "spec.node", Names::dnsLabel);
      mark(pos, Declaration.P_NODE, nodeNode);
      Optional<Ipv4> address = Optional.empty();
      YamlNode a = spec.get("address");
      if (a != null) {
        Ipv4 ip = address(a, "spec.address", null);
        address = ip == null ? null : Optional.of(ip);
        mark(pos, Declaration.P_ADDRESS, a);
      }
      ExecutionType execution = ExecutionType.MANAGED_PROCESS;
      Obj ex = spec.obj("execution", false, EXECUTION_KEYS);
      YamlNode t = null;
      if (ex != null) {
        t = ex.required("type");
        execution =
            t == null
                ? null
                : f.enumValue(t, ex.path("type"), ExecutionType::parse, ExecutionType.allowed());
        if (t != null) {
          mark(pos, Declaration.P_EXECUTION, t);
        }
      }
      YamlNode e = spec.get("endpoints");
      List<Endpoint> endpoints = e == null ? null : SpecFields.endpoints(f, e, "spec.endpoints");
      YamlNode d = spec.get("dependsOn");
      List<String> deps = null;
      if (d != null) {
        deps = SpecFields.distinctStrings(f, d, "spec.dependsOn", "dependency", Names::dnsLabel);
        if (deps != null && md != null && deps.contains(md.name())) {
          YamlNode self = ((YamlNode.Sequence) d).items().get(deps.indexOf(md.name()));
          f.error(
              self,
              FieldPath.index("spec.dependsOn", deps.indexOf(md.name())),
              "a service cannot depend on itself");
          deps = null;
        }
      }
      Map<String, String> env = Map.of();
      YamlNode en = spec.get("env");
      if (en != null) {
        env = SpecFields.stringMap(f, en, "spec.env", Names::envKey);
      }
      Optional<HealthCheck> health = Optional.empty();
      Obj h = spec.obj("health", false, HEALTH_KEYS);
      if (h != null) {
        HealthCheck hc = health(h);
        health = hc == null ? null : Optional.of(hc);
      }
      RunState state = RunState.RUNNING;
      YamlNode st = spec.get("state");
      if (st != null) {
        state = f.enumValue(st, "spec.state", RunState::parse, RunState.allowed());
        mark(pos, Declaration.P_STATE, st);
      }
      Rollout rollout = Rollout.DEFAULT;
      Obj ro = spec.obj("rollout", false, ROLLOUT_KEYS);
      if (ro != null) {
        rollout = rollout(ro);
      }

      // The package's manifest: defaults for endpoints, dependsOn and health. A package that is
      // missing, invalid or contradicts the spec gives none: the service is then provisional,
      // checked against other resources with its own fields only (see Declaration).
      boolean depsFromManifest = false;
      if (packageRef != null) {
        int before = problems.size();
        Packages.Resolved pkg = ctx.packages.resolve(baseDir, packageRef);
        packages.add(pkg.key());
        if (docPackages != null) {
          docPackages.add(pkg);
        }
        problems.addAll(pkg.manifestProblems());
        PackageManifest m = pkg.manifest();
        if (m == null) {
          f.error(p, "spec.package", pkg.error());
        } else {
          if (md != null && !m.name().equals(md.name())) {
            f.error(
                nameNode,
                "metadata.name",
                "the package `"
                    + packageRef
                    + "` is named `"
                    + m.name()
                    + "` in its manifest, not `"
                    + md.name()
                    + "`");
          }
          if (version != null && !m.version().equals(version)) {
            f.error(
                v,
                "spec.version",
                "version "
                    + version
                    + " contradicts the package `"
                    + packageRef
                    + "`, whose manifest says version "
                    + m.version());
          }
          if (execution != null
              && m.serviceType().isPresent()
              && (m.serviceType().get() == ExecutionType.DOCKER)
                  != (execution == ExecutionType.DOCKER)) {
            String why =
                "the package `"
                    + packageRef
                    + "` says service.type "
                    + m.serviceType().get().wireName()
                    + " in its manifest, which execution type "
                    + execution.wireName()
                    + " cannot run; ";
            if (t != null) {
              f.error(t, "spec.execution.type", why + "make them agree");
            } else {
              f.error(
                  p,
                  "spec.package",
                  why + "set execution: {type: docker} (the default is managed_process)");
            }
          }
          if (d == null && md != null && m.dependsOn().contains(md.name())) {
            f.error(
                p,
                "spec.package",
                "the manifest of package `"
                    + packageRef
                    + "` lists the service itself in depends_on");
          }
        }
        packageProblems = problems.size() - before;
        if (m != null && packageProblems == 0) {
          if (e == null) {
            endpoints = m.ports();
          }
          if (d == null) {
            deps = m.dependsOn();
            depsFromManifest = true;
          }
          if (h == null) {
            health = m.health();
          }
        }
      }
      if (endpoints == null && e == null) {
        endpoints = List.of();
      }
      if (deps == null && d == null) {
        deps = List.of();
      }
      if (md == null
          || version == null
          || packageRef == null
          || network == null
          || (nodeNode != null && node == null)
          || address == null
          || execution == null
          || endpoints == null
          || deps == null
          || env == null
          || health == null
          || state == null
          || rollout == null) {
        return null;
      }
      ServiceSpec s =
          new ServiceSpec(
              f.intern(version),
              f.intern(packageRef),
              f.intern(network),
              node == null ? null : f.intern(node),
              address,
              execution,
              endpoints,
              deps,
              env,
              health,
              state,
              rollout);
      int[] all = Arrays.copyOf(pos, 2 * Declaration.P_DEPS + 3 * s.dependsOn().size());
      for (int i = 0; i < s.dependsOn().size(); i++) {
        int at = 2 * Declaration.P_DEPS + 3 * i;
        if (depsFromManifest) {
          all[at] = -pos[2 * Declaration.P_PACKAGE];
          all[at + 1] = pos[2 * Declaration.P_PACKAGE + 1];
        } else {
          int written = deps.indexOf(s.dependsOn().get(i));
          YamlNode item = ((YamlNode.Sequence) d).items().get(written);
          all[at] = item.line();
          all[at + 1] = item.column();
          all[at + 2] = written;
        }
      }
      Service svc = node == null ? new Service(md, s, origin, null) : Service.of(md, s, origin);
      return new Declaration(
          Kind.SERVICE,
          md.name(),
          file,
          nameNode.line(),
          nameNode.column(),
          svc,
          node != null,
          all);
    }

    private HealthCheck health(Obj h) {
      YamlNode s = h.required("script");
      String script = s == null ? null : f.checked(s, h.path("script"), Names::relativePath);
      YamlNode i = h.get("interval");
      SpecDuration interval =
          i == null ? HealthCheck.DEFAULT_INTERVAL : f.duration(i, h.path("interval"), false);
      YamlNode t = h.get("timeout");
      SpecDuration timeout =
          t == null ? HealthCheck.DEFAULT_TIMEOUT : f.duration(t, h.path("timeout"), false);
      YamlNode ft = h.get("failureThreshold");
      Integer threshold =
          ft == null
              ? Integer.valueOf(HealthCheck.DEFAULT_FAILURE_THRESHOLD)
              : f.integer(ft, h.path("failureThreshold"), "failureThreshold", 1, Integer.MAX_VALUE);
      if (script == null || interval == null || timeout == null || threshold == null) {
        return null;
      }
      return new HealthCheck(f.intern(script), interval, timeout, threshold);
    }

    private Rollout rollout(Obj r) {
      YamlNode pd = r.get("progressDeadline");
      SpecDuration deadline =
          pd == null
              ? Rollout.DEFAULT.progressDeadline()
              : f.duration(pd, r.path("progressDeadline"), false);
      YamlNode ar = r.get("autoRollback");
      Boolean auto =
          ar == null
              ? Boolean.valueOf(Rollout.DEFAULT.autoRollback())
              : f.bool(ar, r.path("autoRollback"));
      if (deadline == null || auto == null) {
        return null;
      }
      Rollout ro = new Rollout(deadline, auto);
      return ro.equals(Rollout.DEFAULT) ? Rollout.DEFAULT : ro;
    }

    private static void mark(int[] pos, int slot, YamlNode n) {
      if (n != null) {
        mark(pos, slot, n.line(), n.column());
      }
    }

    private static void mark(int[] pos, int slot, int line, int column) {
      pos[2 * slot] = line;
      pos[2 * slot + 1] = column;
    }
  }
}
