package io.coremanager.examples;

import io.coremanager.CoreManager;
import io.coremanager.Placement;
import io.coremanager.PinnedThreadFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A Netty echo server whose event loops are platform threads pinned one per physical core. Each
 * connection is greeted with the CPU its event loop runs on ({@code sched_getcpu}), then echoed.
 * {@code PinnedNettyEchoServer [port]} (default 7000).
 */
public final class PinnedNettyEchoServer implements AutoCloseable {

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;

    /** Starts the server on {@code address} with one pinned event loop per physical core. */
    public PinnedNettyEchoServer(InetSocketAddress address) throws InterruptedException {
        PinnedThreadFactory pinned = PinnedThreadFactory.builder().placement(Placement.onePerCore())
                .namePrefix("echo-loop-").daemon(true).build();
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(pinned.slots().size(), pinned, NioIoHandler.newFactory());
        channel = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Echo());
                    }
                }).bind(address).sync().channel();
    }

    /** The address it listens on. */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() throws InterruptedException {
        channel.close().sync();
        boss.shutdownGracefully().sync();
        workers.shutdownGracefully().sync();
    }

    /** Greets with the event loop's CPU, then echoes. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            String greeting = "served by " + Thread.currentThread().getName() + " on cpu " + CoreManager.currentCpu() + "\n";
            ctx.writeAndFlush(Unpooled.copiedBuffer(greeting, StandardCharsets.US_ASCII));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush((ByteBuf) msg);
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7000;
        try (PinnedNettyEchoServer server = new PinnedNettyEchoServer(new InetSocketAddress(port))) {
            System.out.println("echo server on " + server.address() + "; try: nc localhost " + port + " (Ctrl-C to stop)");
            server.channel.closeFuture().sync();
        }
    }
}
