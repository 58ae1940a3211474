package io.aeroarc.registry.server;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses request messages inside the call, so a broken message gets a status the README promises
 * rather than grpc's UNKNOWN "Application error processing RPC": invalid UTF-8 and broken protobuf
 * get INVALID_ARGUMENT (naming the field when it can be found), a request that decompresses past
 * the size limit RESOURCE_EXHAUSTED, a unary call without a request or with two INVALID_ARGUMENT.
 *
 * <p>The transport sees each method as a stream of raw {@link ReceivedRequest}s: grpc itself cancels
 * a unary call that sends two messages with INTERNAL before any application code runs, so the
 * one-request rule is enforced here instead. The service implementation still sees its typed unary
 * method.
 */
final class RequestParsing {

    private RequestParsing() {}

    static ServerServiceDefinition parsedInCall(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
        List<ServerMethodDefinition<ReceivedRequest, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<ReceivedRequest, ?> raw = raw(method);
            descriptor.addMethod(raw.getMethodDescriptor());
            methods.add(raw);
        }
        ServerServiceDefinition.Builder wrapped = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<ReceivedRequest, ?> method : methods) {
            wrapped.addMethod(method);
        }
        return wrapped.build();
    }

    private static <Q, R> ServerMethodDefinition<ReceivedRequest, R> raw(ServerMethodDefinition<Q, R> definition) {
        MethodDescriptor<Q, R> method = definition.getMethodDescriptor();
        // Server streams (the watches) take one request like unary calls; only their responses differ.
        if (method.getType() != MethodDescriptor.MethodType.UNARY && method.getType() != MethodDescriptor.MethodType.SERVER_STREAMING) {
            throw new IllegalArgumentException("only methods taking one request are parsed in the call: " + method.getFullMethodName());
        }
        MethodDescriptor<ReceivedRequest, R> transportMethod = method.toBuilder(ReceivedRequest.MARSHALLER, method.getResponseMarshaller())
                .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
                .build();
        @SuppressWarnings("unchecked")
        Message prototype = (Message) ((MethodDescriptor.PrototypeMarshaller<Q>) method.getRequestMarshaller()).getMessagePrototype();
        return ServerMethodDefinition.create(transportMethod, new ParsingHandler<>(method, definition.getServerCallHandler(), prototype));
    }

    private static final class ParsingHandler<Q, R> implements ServerCallHandler<ReceivedRequest, R> {

        private final MethodDescriptor<Q, R> method;
        private final ServerCallHandler<Q, R> handler;
        private final Parser<Q> parser;
        private final Descriptor messageType;

        @SuppressWarnings("unchecked")
        ParsingHandler(MethodDescriptor<Q, R> method, ServerCallHandler<Q, R> handler, Message prototype) {
            this.method = method;
            this.handler = handler;
            this.parser = (Parser<Q>) prototype.getParserForType();
            this.messageType = prototype.getDescriptorForType();
        }

        @Override
        public ServerCall.Listener<ReceivedRequest> startCall(ServerCall<ReceivedRequest, R> call, Metadata headers) {
            ServerCall.Listener<Q> delegate = handler.startCall(new TypedCall<>(call, method), headers);
            return new ServerCall.Listener<>() {
                private boolean received;
                private boolean refused;

                @Override
                public void onMessage(ReceivedRequest request) {
                    if (refused) {
                        return;
                    }
                    if (received) {
                        refuse(Status.INVALID_ARGUMENT.withDescription("request: a unary call takes one request message, got more"));
                        return;
                    }
                    received = true;
                    if (request.failure().isPresent()) {
                        refuse(request.failure().get());
                        return;
                    }
                    Q parsed;
                    try {
                        parsed = parser.parseFrom(request.bytes());
                    } catch (InvalidProtocolBufferException e) {
                        refuse(Status.INVALID_ARGUMENT.withDescription(describe(request.bytes())).withCause(e));
                        return;
                    }
                    delegate.onMessage(parsed);
                }

                @Override
                public void onHalfClose() {
                    if (refused) {
                        return;
                    }
                    if (!received) {
                        refuse(Status.INVALID_ARGUMENT.withDescription("request: missing; a unary call takes one request message"));
                        return;
                    }
                    delegate.onHalfClose();
                }

                @Override
                public void onCancel() {
                    delegate.onCancel();
                }

                @Override
                public void onComplete() {
                    delegate.onComplete();
                }

                @Override
                public void onReady() {
                    delegate.onReady();
                }

                private void refuse(Status status) {
                    refused = true;
                    call.close(status, new Metadata());
                }
            };
        }

        private String describe(byte[] bytes) {
            return InvalidUtf8Finder.find(messageType, bytes)
                    .map(field -> field + ": not valid UTF-8")
                    .orElse("request: not a valid " + messageType.getName() + " message");
        }
    }

    /** The service's view of a call whose requests it receives parsed. */
    private static final class TypedCall<Q, R> extends ServerCall<Q, R> {

        private final ServerCall<ReceivedRequest, R> call;
        private final MethodDescriptor<Q, R> method;

        TypedCall(ServerCall<ReceivedRequest, R> call, MethodDescriptor<Q, R> method) {
            this.call = call;
            this.method = method;
        }

        @Override
        public void request(int numMessages) {
            call.request(numMessages);
        }

        @Override
        public void sendHeaders(Metadata headers) {
            call.sendHeaders(headers);
        }

        @Override
        public void sendMessage(R message) {
            call.sendMessage(message);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            call.close(status, trailers);
        }

        @Override
        public boolean isReady() {
            return call.isReady();
        }

        @Override
        public boolean isCancelled() {
            return call.isCancelled();
        }

        @Override
        public void setMessageCompression(boolean enabled) {
            call.setMessageCompression(enabled);
        }

        @Override
        public void setCompression(String compressor) {
            call.setCompression(compressor);
        }

        @Override
        public void setOnReadyThreshold(int numBytes) {
            call.setOnReadyThreshold(numBytes);
        }

        @Override
        public SecurityLevel getSecurityLevel() {
            return call.getSecurityLevel();
        }

        @Override
        public Attributes getAttributes() {
            return call.getAttributes();
        }

        @Override
        public String getAuthority() {
            return call.getAuthority();
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return method;
        }
    }
}
