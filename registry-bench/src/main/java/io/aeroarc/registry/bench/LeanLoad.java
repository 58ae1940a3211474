package io.aeroarc.registry.bench;

import com.google.protobuf.MessageLite;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.SocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2FrameAdapter;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Headers;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Settings;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import io.grpc.netty.shaded.io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * Closed-loop load from a lean HTTP/2 gRPC client, so the load generator is not what is measured.
 *
 * <p>grpc-java's stubs cost this JVM several times the registry's own work per call (a call
 * object, listeners, executors, marshalling): on two shared cores they measured the client, at a
 * sixth of what h2load reached on the same server. This client speaks the gRPC wire format
 * straight on Netty's HTTP/2 codec (the copy shaded into grpc-netty-shaded, with epoll when
 * available): requests are serialized once before the run and only wrapped per call, each
 * connection keeps {@code streams} calls in flight on one event loop, and a response is judged by
 * its {@code grpc-status} trailer alone. It measures unary calls only; the scenarios that read
 * answers (the fleet) use the ordinary stubs.
 */
final class LeanLoad {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
    /** Start times by stream id; a call older than this many later calls on its connection would be overwritten. */
    private static final int START_SLOTS = 1 << 16;
    private static final AsciiString GRPC_STATUS = AsciiString.of("grpc-status");

    /**
     * @param connections HTTP/2 connections, each a TCP connection of its own
     * @param streams calls in flight on each connection
     * @param threads event loop threads for all connections
     */
    record Settings(int connections, int streams, int threads) {

        int concurrency() {
            return connections * streams;
        }
    }

    /** The next request message, framed for gRPC; called on the event loops, so safe for several threads. */
    @FunctionalInterface
    interface Requests {
        byte[] next();

        /** Requests serialized once, each call picking one at random. */
        static Requests anyOf(List<? extends MessageLite> messages) {
            byte[][] frames = messages.stream().map(LeanLoad::frame).toArray(byte[][]::new);
            return () -> frames[frames.length == 1 ? 0 : ThreadLocalRandom.current().nextInt(frames.length)];
        }
    }

    /** A request message with gRPC's 5-byte prefix: not compressed, then the length, big-endian. */
    static byte[] frame(MessageLite message) {
        byte[] body = message.toByteArray();
        byte[] frame = new byte[5 + body.length];
        frame[1] = (byte) (body.length >>> 24);
        frame[2] = (byte) (body.length >>> 16);
        frame[3] = (byte) (body.length >>> 8);
        frame[4] = (byte) body.length;
        System.arraycopy(body, 0, frame, 5, body.length);
        return frame;
    }

    private final RegistryClient.Target target;
    private final Settings settings;
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelType;

    LeanLoad(RegistryClient.Target target, Settings settings) {
        this.target = target;
        this.settings = settings;
        if (Epoll.isAvailable()) {
            this.group = new EpollEventLoopGroup(settings.threads());
            this.channelType = EpollSocketChannel.class;
        } else {
            this.group = new NioEventLoopGroup(settings.threads());
            this.channelType = NioSocketChannel.class;
        }
    }

    Settings settings() {
        return settings;
    }

    String transport() {
        return Epoll.isAvailable() ? "epoll" : "nio";
    }

    /** Closed loop on one RPC over fresh connections: warms up, then measures as {@code phases} says. */
    LoadResult.Measured closedLoop(String name, String path, int unitsPerCall, Requests requests, Phases phases, CpuMeter cpu)
            throws InterruptedException {
        Run run = new Run(path, requests, settings.connections(), null);
        List<Channel> channels = connectAll(run);
        try {
            for (Channel channel : channels) {
                channel.eventLoop().execute(() -> channel.pipeline().get(Connection.class).startClosedLoop(channel));
            }
            Phases.Measurement measured = phases.run(run.latencies::reset, on -> run.measuring = on, cpu);
            run.stopping = true;
            awaitDrained(name, run);
            return LoadResult.Measured.of(name, unitsPerCall, run.calls.sum(), run.failures.snapshot(), measured.seconds(),
                    run.latencies.getIntervalHistogram(), measured.cpu(), measured.window());
        } finally {
            closeAll(channels);
        }
    }

    /**
     * Calls due at {@code perSecond}, spread over the connections, each one's latency counted from
     * when it was due (no coordinated omission); a call due while {@code maxInFlight} are in flight
     * is counted as not sent.
     */
    OpenLoopResult openLoop(String name, String path, int unitsPerCall, Requests requests, double perSecond, Phases phases,
            int maxInFlight, CpuMeter cpu) throws InterruptedException {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive, was " + perSecond);
        }
        long start = System.nanoTime() + 20_000_000;
        long measureFrom = start + phases.warmup().toNanos();
        long end = measureFrom + phases.measure().toNanos();
        Run run = new Run(path, requests, settings.connections(),
                new Schedule(start, measureFrom, end, 1e9 * settings.connections() / perSecond, Math.max(1, maxInFlight / settings.connections())));
        List<Channel> channels = connectAll(run);
        try {
            for (Channel channel : channels) {
                channel.eventLoop().execute(() -> channel.pipeline().get(Connection.class).startOpenLoop(channel));
            }
            sleepUntil(measureFrom);
            CpuMeter.Sample cpuStart = cpu.sample();
            long startEpochMs = System.currentTimeMillis();
            sleepUntil(end);
            CpuUse cpuUse = cpu.since(cpuStart);
            long endEpochMs = System.currentTimeMillis();
            run.stopping = true;
            awaitDrained(name, run);
            LoadResult load = LoadResult.Measured.of(name, unitsPerCall, run.calls.sum(), run.failures.snapshot(),
                    phases.measure().toNanos() / 1e9, run.latencies.getIntervalHistogram(), cpuUse,
                    new LoadResult.Window(startEpochMs, endEpochMs)).result();
            return new OpenLoopResult(load, perSecond, run.notSent.sum());
        } finally {
            closeAll(channels);
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long millis = (nanoTime - System.nanoTime()) / 1_000_000;
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }

    private static void awaitDrained(String name, Run run) throws InterruptedException {
        if (!run.drained.await(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + ": calls still in flight " + DRAIN_TIMEOUT + " after the phase ended");
        }
    }

    private List<Channel> connectAll(Run run) throws InterruptedException {
        List<Channel> channels = new ArrayList<>();
        try {
            for (int i = 0; i < settings.connections(); i++) {
                channels.add(connect(run));
            }
        } catch (RuntimeException | InterruptedException e) {
            closeAll(channels);
            throw e;
        }
        return channels;
    }

    private static void closeAll(List<Channel> channels) {
        for (Channel channel : channels) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private Channel connect(Run run) throws InterruptedException {
        Connection connection = new Connection(run, settings.streams(), target);
        return new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(connection.handler(), connection);
                    }
                })
                .connect(target.host(), target.port()).sync().channel();
    }

    /** Stops the event loops. */
    void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /**
     * An open loop's timeline, per connection: a call every {@code intervalNanos} from
     * {@code start}, measured from {@code measureFrom}, none due from {@code end}.
     */
    private record Schedule(long start, long measureFrom, long end, double intervalNanos, int maxInFlight) {}

    /** One run: what every connection records into. */
    private static final class Run {
        final String path;
        final Requests requests;
        /** Null for a closed loop. */
        final Schedule schedule;
        final Recorder latencies = new Recorder(3);
        final LongAdder calls = new LongAdder();
        final LongAdder notSent = new LongAdder();
        final Outcomes failures = new Outcomes();
        final CountDownLatch drained;
        volatile boolean measuring;
        volatile boolean stopping;

        Run(String path, Requests requests, int connections, Schedule schedule) {
            this.path = path;
            this.requests = requests;
            this.schedule = schedule;
            this.drained = new CountDownLatch(connections);
        }
    }

    /**
     * One HTTP/2 connection and its calls. Its frame listener completes a call on the trailers
     * and, in a closed loop, starts the next one on the same event loop; the HTTP/2 handler
     * flushes once per read. In an open loop a timer on the event loop sends the calls due.
     */
    private static final class Connection extends ChannelInboundHandlerAdapter {
        private static final long TICK_MICROS = 500;

        private final Run run;
        private final int streams;
        private final Http2Headers headers;
        /** Start (or, in an open loop, due) times by stream id. */
        private final long[] startedAt = new long[START_SLOTS];
        /** In an open loop, whether the call in the slot was due in the measured part. */
        private final boolean[] measured = new boolean[START_SLOTS];
        private Http2ConnectionHandler http2;
        private int inFlight;
        private long nextDue;
        private boolean done;
        private ScheduledFuture<?> ticker;

        Connection(Run run, int streams, RegistryClient.Target target) {
            this.run = run;
            this.streams = streams;
            this.headers = new DefaultHttp2Headers().method(AsciiString.of("POST")).scheme(AsciiString.of("http"))
                    .path(AsciiString.of(run.path)).authority(AsciiString.of(target.toString()))
                    .add(AsciiString.of("content-type"), AsciiString.of("application/grpc"))
                    .add(AsciiString.of("te"), AsciiString.of("trailers"));
        }

        Http2ConnectionHandler handler() {
            http2 = new Http2ConnectionHandlerBuilder().server(false).frameListener(new Listener())
                    .initialSettings(Http2Settings.defaultSettings().initialWindowSize(1 << 20)).build();
            return http2;
        }

        /** Starts the connection's calls; on its event loop. */
        void startClosedLoop(Channel channel) {
            ChannelHandlerContext ctx = channel.pipeline().context(http2);
            for (int i = 0; i < streams; i++) {
                start(ctx, System.nanoTime(), false);
            }
            // Through the HTTP/2 handler's own flush, which writes the DATA its flow controller holds.
            channel.flush();
        }

        /** Starts the timer sending the calls due; on its event loop. */
        void startOpenLoop(Channel channel) {
            ChannelHandlerContext ctx = channel.pipeline().context(http2);
            ticker = channel.eventLoop().scheduleAtFixedRate(() -> sendDue(ctx, channel), 0, TICK_MICROS, TimeUnit.MICROSECONDS);
        }

        private void sendDue(ChannelHandlerContext ctx, Channel channel) {
            Schedule schedule = run.schedule;
            long now = System.nanoTime();
            boolean sent = false;
            while (true) {
                long due = schedule.start() + (long) (nextDue * schedule.intervalNanos());
                if (due > now || due >= schedule.end()) {
                    break;
                }
                nextDue++;
                boolean inMeasure = due >= schedule.measureFrom();
                if (inFlight >= schedule.maxInFlight()) {
                    if (inMeasure) {
                        run.notSent.increment();
                    }
                    continue;
                }
                start(ctx, due, inMeasure);
                sent = true;
            }
            if (sent) {
                channel.flush();
            }
            if (run.stopping) {
                ticker.cancel(false);
                finishIfIdle();
            }
        }

        private void start(ChannelHandlerContext ctx, long startNanos, boolean inMeasure) {
            Http2ConnectionEncoder encoder = http2.encoder();
            int id = http2.connection().local().incrementAndGetNextStreamId();
            int slot = (id >>> 1) & (START_SLOTS - 1);
            startedAt[slot] = startNanos;
            measured[slot] = inMeasure;
            inFlight++;
            encoder.writeHeaders(ctx, id, headers, 0, false, ctx.voidPromise());
            encoder.writeData(ctx, id, Unpooled.wrappedBuffer(run.requests.next()), 0, true, ctx.voidPromise());
        }

        private void completed(ChannelHandlerContext ctx, int streamId, CharSequence grpcStatus) {
            int slot = (streamId >>> 1) & (START_SLOTS - 1);
            long elapsed = System.nanoTime() - startedAt[slot];
            inFlight--;
            boolean count = run.schedule == null ? run.measuring : measured[slot];
            if (count) {
                if (grpcStatus != null && grpcStatus.length() == 1 && grpcStatus.charAt(0) == '0') {
                    run.latencies.recordValue(elapsed);
                    run.calls.increment();
                } else {
                    run.failures.fail(statusName(grpcStatus));
                }
            }
            if (run.schedule == null && !run.stopping) {
                start(ctx, System.nanoTime(), false);
            } else if (run.stopping) {
                finishIfIdle();
            }
        }

        private void finishIfIdle() {
            if (inFlight == 0 && !done) {
                done = true;
                run.drained.countDown();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            run.failures.fail(cause.getClass().getSimpleName());
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (ticker != null) {
                ticker.cancel(false);
            }
            if (!done) {
                done = true;
                if (inFlight > 0 && !run.stopping) {
                    run.failures.fail("connection closed");
                }
                run.drained.countDown();
            }
            super.channelInactive(ctx);
        }

        private final class Listener extends Http2FrameAdapter {
            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
                if (endOfStream) {
                    completed(ctx, streamId, null);
                }
                return data.readableBytes() + padding;
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endStream) {
                if (endStream) {
                    completed(ctx, streamId, headers.get(GRPC_STATUS));
                }
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                    short weight, boolean exclusive, int padding, boolean endStream) {
                onHeadersRead(ctx, streamId, headers, padding, endStream);
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                completed(ctx, streamId, "RST_STREAM");
            }
        }
    }

    private static String statusName(CharSequence grpcStatus) {
        if (grpcStatus == null) {
            return "no grpc-status";
        }
        try {
            return Status.fromCodeValue(Integer.parseInt(grpcStatus.toString())).getCode().name();
        } catch (NumberFormatException e) {
            return grpcStatus.toString();
        }
    }
}
