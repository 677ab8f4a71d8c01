package io.coremanager.integration;

import io.coremanager.CpuSet;
import io.coremanager.PinnedThreadFactory;
import io.coremanager.affinity.Affinity;
import io.coremanager.testing.ProcWitness;
import io.coremanager.topology.CpuTopology;
import io.netty.bootstrap.Bootstrap;
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
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Netty echo server on loopback whose event loops are pinned platform threads: every read is
 * handled on the CPU its event loop was pinned to, as /proc/thread-self says.
 */
class NettyPinnedEventLoopTest {

    @Test
    void eachEventLoopHandlesItsChannelsOnItsCpu() throws Exception {
        assumeTrue(Affinity.isSupported() && ProcWitness.available());
        CpuSet usable = CpuTopology.current().usableCpus();
        PinnedThreadFactory pinned = PinnedThreadFactory.builder().namePrefix("netty-").daemon(true).build();
        ConcurrentLinkedQueue<String> offCpu = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> seenThreads = new ConcurrentLinkedQueue<>();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, pinned, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(usable.size(), pinned, NioIoHandler.newFactory());
        EventLoopGroup clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    check(offCpu, seenThreads);
                                    ctx.writeAndFlush(msg);
                                }
                            });
                        }
                    }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            List<CompletableFuture<Integer>> echoes = new ArrayList<>();
            for (int i = 0; i < usable.size() * 4; i++) {
                CompletableFuture<Integer> echoed = new CompletableFuture<>();
                Channel client = new Bootstrap().group(clients).channel(NioSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                echoed.complete(((ByteBuf) msg).readableBytes());
                                ((ByteBuf) msg).release();
                            }
                        }).connect(server.localAddress()).sync().channel();
                client.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4}));
                echoes.add(echoed.whenComplete((n, e) -> client.close()));
            }
            for (CompletableFuture<Integer> e : echoes) {
                assertThat(e.get(30, TimeUnit.SECONDS)).isPositive();
            }
            server.close().sync();
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        assertThat(seenThreads).isNotEmpty().allSatisfy(name -> assertThat(name).startsWith("netty-"));
        assertThat(offCpu).isEmpty();
    }

    /** On the CPU in the thread's name ({@code netty-N-cpuC}), by sched_getcpu and by /proc. */
    static void check(ConcurrentLinkedQueue<String> offCpu, ConcurrentLinkedQueue<String> seen) {
        String name = Thread.currentThread().getName();
        seen.add(name);
        int cpu = Integer.parseInt(name.substring(name.lastIndexOf("-cpu") + 4));
        int sched = Affinity.currentCpu();
        int proc = ProcWitness.processor();
        if (sched != cpu || proc != cpu || !ProcWitness.cpusAllowed().equals(CpuSet.of(cpu))) {
            offCpu.add(name + ": sched_getcpu " + sched + ", /proc " + proc);
        }
    }
}
