package io.svcreg.schema;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.events.ScalarEvent;

/**
 * Reads YAML text (possibly several {@code ---} documents) into {@link YamlNode} trees that keep
 * every key's and value's position, using Jackson's YAML token stream. Empty documents are skipped.
 * Aliases and explicit tags (other than {@code !!str}) are reported, never silently read.
 */
final class YamlReader {

  private static final String STR_TAG = "tag:yaml.org,2002:str";

  /** Deepest nesting of lists and mappings read (specs need about six levels). */
  static final int MAX_DEPTH = 64;

  private static final Factory FACTORY = new Factory();

  private YamlReader() {}

  /** A non-empty document: its root node and the problems found while reading it. */
  record Document(YamlNode root, List<Problem> problems) {}

  /**
   * The documents read and, if the text is not valid YAML, the syntax problem (null otherwise);
   * documents after a syntax error are not read.
   */
  record Result(List<Document> documents, Problem syntaxError) {}

  /** Reads all documents of {@code text}; {@code file} names it in problems. */
  static Result read(String file, String text) {
    List<Document> docs = new ArrayList<>();
    JsonLocation[] last = {null};
    try (Parser p = FACTORY.open(text)) {
      p.lastLocation = last;
      Reading r = new Reading(file, p);
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        r.problems = new ArrayList<>(0);
        YamlNode root = r.value(t, null);
        if (root instanceof YamlNode.Scalar s && s.type() == YamlNode.Type.NULL) {
          continue;
        }
        docs.add(new Document(root, r.problems));
      }
      return new Result(docs, null);
    } catch (TooDeep e) {
      return new Result(
          docs,
          new Problem(
              file,
              e.line,
              e.column,
              "",
              "invalid YAML for a spec: lists and mappings nested deeper than "
                  + MAX_DEPTH
                  + " levels"));
    } catch (JsonProcessingException e) {
      return new Result(docs, syntaxProblem(file, e, last[0]));
    } catch (IOException e) {
      throw new SchemaException("cannot read YAML text of " + file, e);
    }
  }

  private static Problem syntaxProblem(String file, JsonProcessingException e, JsonLocation near) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof MarkedYAMLException m && m.getProblemMark() != null) {
        Mark at = m.getProblemMark();
        StringBuilder msg = new StringBuilder("invalid YAML: ").append(m.getProblem());
        if (m.getContext() != null) {
          msg.append(" (").append(m.getContext());
          Mark ctx = m.getContextMark();
          if (ctx != null && (ctx.getLine() != at.getLine() || ctx.getColumn() != at.getColumn())) {
            msg.append(" that starts at line ")
                .append(ctx.getLine() + 1)
                .append(", column ")
                .append(ctx.getColumn() + 1);
          }
          msg.append(')');
        }
        return new Problem(file, at.getLine() + 1, at.getColumn() + 1, "", msg.toString());
      }
    }
    JsonLocation loc =
        e.getLocation() != null && e.getLocation().getLineNr() > 0 ? e.getLocation() : near;
    String original = e.getOriginalMessage();
    String msg =
        original != null && original.startsWith("Expected a field name")
            ? "invalid YAML for a spec: mapping keys must be plain scalars, not lists or mappings"
            : "invalid YAML: " + original;
    int line = loc == null ? 0 : Math.max(loc.getLineNr(), 0);
    int col = loc == null ? 0 : Math.max(loc.getColumnNr(), 0);
    return new Problem(file, line, col, "", msg);
  }

  /** State of one read: the parser and the current document's problems. */
  private static final class Reading {
    private final String file;
    private final Parser p;
    private List<Problem> problems;
    private int depth;

    Reading(String file, Parser p) {
      this.file = file;
      this.p = p;
    }

    YamlNode value(JsonToken t, Where path) throws IOException {
      JsonLocation loc = p.currentTokenLocation();
      int line = loc.getLineNr();
      int col = loc.getColumnNr();
      String tag = p.getTypeId();
      if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
        if (++depth > MAX_DEPTH) {
          throw new TooDeep(line, col);
        }
        YamlNode n =
            t == JsonToken.START_OBJECT ? mapping(path, line, col) : sequence(path, line, col);
        depth--;
        return n;
      }
      String text = p.getText();
      if (p.isCurrentAlias()) {
        problems.add(
            new Problem(
                file,
                line,
                col,
                Where.render(path),
                "YAML aliases (*" + text + ") are not supported; write the value out"));
        return new YamlNode.Scalar(text, YamlNode.Type.INVALID, false, "", line, col);
      }
      if (tag != null && !tag.equals(STR_TAG)) {
        String shown = tag.startsWith("tag:yaml.org,2002:") ? "!!" + tag.substring(18) : "!" + tag;
        problems.add(
            new Problem(
                file,
                line,
                col,
                Where.render(path),
                "YAML tag " + shown + " is not supported; write the plain value (quote strings)"));
        return new YamlNode.Scalar(text, YamlNode.Type.INVALID, false, "", line, col);
      }
      boolean plain = p.plain();
      return switch (t) {
        case VALUE_STRING -> new YamlNode.Scalar(text, YamlNode.Type.STRING, plain, "", line, col);
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT ->
            new YamlNode.Scalar(
                text,
                t == JsonToken.VALUE_NUMBER_INT ? YamlNode.Type.INT : YamlNode.Type.FLOAT,
                plain,
                numberText(text),
                line,
                col);
        case VALUE_TRUE -> new YamlNode.Scalar(text, YamlNode.Type.BOOL, plain, "true", line, col);
        case VALUE_FALSE ->
            new YamlNode.Scalar(text, YamlNode.Type.BOOL, plain, "false", line, col);
        case VALUE_NULL -> new YamlNode.Scalar(text, YamlNode.Type.NULL, plain, "null", line, col);
        default -> {
          problems.add(
              new Problem(
                  file,
                  line,
                  col,
                  Where.render(path),
                  "unsupported YAML value; write a plain value"));
          yield new YamlNode.Scalar(text, YamlNode.Type.INVALID, false, "", line, col);
        }
      };
    }

    private String numberText(String text) {
      try {
        Number n = p.getNumberValue();
        return n.toString();
      } catch (IOException | RuntimeException e) {
        return text;
      }
    }

    private YamlNode.Mapping mapping(Where path, int line, int col) throws IOException {
      List<YamlNode.Entry> entries = new ArrayList<>();
      Map<String, YamlNode.Scalar> seen = null;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        JsonLocation kl = p.currentTokenLocation();
        String name = p.currentName();
        YamlNode.Scalar key =
            new YamlNode.Scalar(
                name, YamlNode.Type.STRING, p.plain(), "", kl.getLineNr(), kl.getColumnNr());
        Where childPath = new Where(path, name, -1);
        YamlNode value = value(p.nextToken(), childPath);
        if (entries.size() >= 8 && seen == null) {
          seen = new HashMap<>();
          for (YamlNode.Entry e : entries) {
            seen.put(e.key().text(), e.key());
          }
        }
        YamlNode.Scalar first = seen != null ? seen.get(name) : findKey(entries, name);
        if (first != null) {
          problems.add(
              new Problem(
                  file,
                  key.line(),
                  key.column(),
                  Where.render(childPath),
                  "duplicate key `" + name + "` (first at line " + first.line() + ")"));
          continue;
        }
        if (seen != null) {
          seen.put(name, key);
        }
        entries.add(new YamlNode.Entry(key, value));
      }
      if (t != JsonToken.END_OBJECT) {
        throw new SchemaException("unexpected YAML token " + t + " in a mapping");
      }
      return new YamlNode.Mapping(List.copyOf(entries), line, col);
    }

    private static YamlNode.Scalar findKey(List<YamlNode.Entry> entries, String name) {
      for (YamlNode.Entry e : entries) {
        if (e.key().text().equals(name)) {
          return e.key();
        }
      }
      return null;
    }

    private YamlNode.Sequence sequence(Where path, int line, int col) throws IOException {
      List<YamlNode> items = new ArrayList<>();
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw new SchemaException("YAML stream ended inside a list");
        }
        items.add(value(t, new Where(path, null, items.size())));
      }
      return new YamlNode.Sequence(List.copyOf(items), line, col);
    }
  }

  /** Nesting beyond {@link #MAX_DEPTH}, where it happened. */
  private static final class TooDeep extends RuntimeException {
    final int line;
    final int column;

    TooDeep(int line, int column) {
      super(null, null, false, false);
      this.line = line;
      this.column = column;
    }
  }

  /**
   * Where a node is, as a chain of keys and indexes (rendered as a field path only when needed).
   */
  private record Where(Where parent, String key, int index) {
    static String render(Where w) {
      if (w == null) {
        return "";
      }
      String parent = render(w.parent);
      return w.key != null ? FieldPath.child(parent, w.key) : FieldPath.index(parent, w.index);
    }
  }

  /** A Jackson YAML parser that also tells whether the current scalar was written plain. */
  private static final class Parser extends YAMLParser {
    Parser(IOContext ctxt, int pf, int yf, LoaderOptions lo, ObjectCodec codec, Reader r) {
      super(ctxt, pf, yf, lo, codec, r);
    }

    /** Where the stream is when an error interrupts it (set before each token). */
    JsonLocation[] lastLocation;

    boolean plain() {
      return _lastEvent instanceof ScalarEvent s && s.isPlain();
    }

    @Override
    public JsonToken nextToken() throws IOException {
      if (lastLocation != null && _currToken != null) {
        lastLocation[0] = currentTokenLocation();
      }
      return super.nextToken();
    }
  }

  /** Creates {@link Parser}s: empty plain scalars read as null, no code-point limit. */
  private static final class Factory extends YAMLFactory {
    Factory() {
      super(
          YAMLFactory.builder()
              .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
              .loaderOptions(loaderOptions()));
    }

    private static LoaderOptions loaderOptions() {
      LoaderOptions o = new LoaderOptions();
      o.setCodePointLimit(Integer.MAX_VALUE);
      o.setAllowDuplicateKeys(true);
      return o;
    }

    Parser open(String text) throws IOException {
      return (Parser) createParser(new StringReader(text));
    }

    @Override
    protected YAMLParser _createParser(Reader r, IOContext ctxt) {
      return new Parser(
          ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec, r);
    }
  }
}
