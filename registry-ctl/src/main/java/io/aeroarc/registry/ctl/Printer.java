package io.aeroarc.registry.ctl;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a command's result in the chosen format. JSON is the proto3 JSON mapping with the
 * proto's field names (as grpcurl prints them; 64-bit integers are strings), every field present
 * even when zero, one document per command on one line.
 */
final class Printer {

    private static final JsonFormat.Printer JSON = JsonFormat.printer()
            .preservingProtoFieldNames()
            .alwaysPrintFieldsWithNoPresence()
            .omittingInsignificantWhitespace();

    final OutputFormat format;
    private final PrintWriter out;
    private final PrintWriter err;

    Printer(OutputFormat format, PrintWriter out, PrintWriter err) {
        this.format = format;
        this.out = out;
        this.err = err;
    }

    boolean json() {
        return format == OutputFormat.JSON;
    }

    /** One message as the whole document. */
    void message(MessageOrBuilder message) {
        out.println(toJson(message));
    }

    /** {@code {"<field>": [messages...]}}. */
    void list(String field, List<? extends MessageOrBuilder> messages) {
        StringBuilder json = new StringBuilder("{\"").append(field).append("\":[");
        for (int i = 0; i < messages.size(); i++) {
            json.append(i == 0 ? "" : ",").append(toJson(messages.get(i)));
        }
        out.println(json.append("]}"));
    }

    /** A small flat document, fields in the given order. */
    void fields(Map<String, Value> fields) {
        out.println(toJson(Struct.newBuilder().putAllFields(fields).build()));
    }

    void table(Table table) {
        table.print(out);
    }

    void line(String text) {
        out.println(text);
    }

    /** Remarks for people (never part of the JSON document). */
    void note(String text) {
        err.println(text);
    }

    static Value string(String value) {
        return Value.newBuilder().setStringValue(value).build();
    }

    static Value bool(boolean value) {
        return Value.newBuilder().setBoolValue(value).build();
    }

    /** ISO-8601 UTC, or "-" for 0 (not set). */
    static String time(long unixMs) {
        return unixMs == 0 ? "-" : Instant.ofEpochMilli(unixMs).toString();
    }

    static String labels(Map<String, String> labels) {
        List<String> pairs = new ArrayList<>();
        labels.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> pairs.add(e.getKey() + "=" + e.getValue()));
        return pairs.isEmpty() ? "-" : String.join(",", pairs);
    }

    private static String toJson(MessageOrBuilder message) {
        try {
            return JSON.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
