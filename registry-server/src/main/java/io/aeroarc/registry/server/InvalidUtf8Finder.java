package io.aeroarc.registry.server;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the first string field holding invalid UTF-8 in an encoded message, named as the
 * validation errors name fields ({@code relay.relay_id}, {@code agent_ids[3]}), because protobuf's
 * own parser only says that some field was invalid.
 */
final class InvalidUtf8Finder {

    /** Deeper nesting than any request of the contract has; stops a crafted message from recursing without end. */
    private static final int MAX_DEPTH = 8;

    private InvalidUtf8Finder() {}

    static Optional<String> find(Descriptor type, byte[] message) {
        try {
            return find(type, CodedInputStream.newInstance(message), "", 0);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> find(Descriptor type, CodedInputStream input, String prefix, int depth) throws IOException {
        Map<Integer, Integer> seen = new HashMap<>();
        for (int tag = input.readTag(); tag != 0; tag = input.readTag()) {
            FieldDescriptor field = type.findFieldByNumber(WireFormat.getTagFieldNumber(tag));
            if (field == null || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                input.skipField(tag);
                continue;
            }
            int index = seen.merge(field.getNumber(), 1, Integer::sum) - 1;
            String name = prefix + field.getName() + (field.isRepeated() && !field.isMapField() ? "[" + index + "]" : "");
            if (field.getType() == FieldDescriptor.Type.STRING) {
                if (!isUtf8(input.readByteArray())) {
                    return Optional.of(name);
                }
            } else if (field.getType() == FieldDescriptor.Type.MESSAGE && depth < MAX_DEPTH) {
                CodedInputStream inner = CodedInputStream.newInstance(input.readByteArray());
                Optional<String> found = find(field.getMessageType(), inner, name + ".", depth + 1);
                if (found.isPresent()) {
                    // A map entry's key or value is named by its map: relay.labels.
                    return Optional.of(field.isMapField() ? name : found.get());
                }
            } else {
                input.skipField(tag);
            }
        }
        return Optional.empty();
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
