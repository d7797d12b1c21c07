using System.Buffers.Binary;
using Google.Protobuf;
using Grpc.Core;
using Kedge.Client.Grpc;
using Kedge.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kedge.FunctionalTests.Server;

/// <summary>What the telemetry wrapper around the proxy must not change, and the facts it must get right.</summary>
public sealed class KedgeRequestTelemetryTests : IAsyncLifetime
{
    private const string EarlyService = "kedge.testing.Early";

    private static readonly Marshaller<HelloRequest> RequestMarshaller = Marshallers.Create(m => m.ToByteArray(), HelloRequest.Parser.ParseFrom);
    private static readonly Marshaller<HelloReply> ReplyMarshaller = Marshallers.Create(m => m.ToByteArray(), HelloReply.Parser.ParseFrom);

    // A bidi call the backend ends (trailers sent) before the caller ends its request stream.
    private static readonly Method<HelloRequest, HelloReply> EarlyChat = new(MethodType.DuplexStreaming, EarlyService, "Chat", RequestMarshaller, ReplyMarshaller);

    private readonly TestLogSink _logs = new();
    private LoopbackServer _grpcBackend = null!;
    private LoopbackServer _backend = null!;

    public async Task InitializeAsync()
    {
        _grpcBackend = await LoopbackServer.StartAsync(
            new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 },
            _logs,
            app => app.MapPost($"/{EarlyService}/Chat", AnswerAndEndAsync));
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, app => app.Map("/echo-request-id", context =>
        {
            context.Response.Headers["X-Kedge-Request-ID"] = context.Request.Headers["X-Kedge-Request-ID"];
            return Task.CompletedTask;
        }));
    }

    public async Task DisposeAsync()
    {
        await _grpcBackend.DisposeAsync();
        await _backend.DisposeAsync();
        _logs.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BidiGrpc_BackendEndsFirstAndCallerEndsAfterSeeingTheEnd_CallCompletes(bool accessLog)
    {
        await using var kedge = await StartAsync(accessLog);
        using var client = kedge.CreateClient(_logs);
        using var channel = KedgeChannel.ForService("early.shop.svc.cluster-b.kedge", client);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(EarlyChat, null, new CallOptions(new Metadata { { "X-Kedge-Request-ID", "early-1" } }, cancellationToken: timeout.Token));
        await call.RequestStream.WriteAsync(new HelloRequest { Name = "a" }, timeout.Token);

        var replies = new List<string>();
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            replies.Add(call.ResponseStream.Current.Message);
        }

        // The caller ends its side only once it saw the backend's end, as a conversation that waits for the other side does.
        await call.RequestStream.CompleteAsync();

        Assert.Equal(["early"], replies);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.False(timeout.IsCancellationRequested);
    }

    [Fact]
    public async Task AccessLog_BackendEchoesTheRequestId_LineHasKedgesRequestId()
    {
        await using var kedge = await StartAsync(accessLog: true);
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        using var response = await http.GetAsync("http://echo.shop.svc.cluster-b.kedge/echo-request-id");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var ids = response.Headers.GetValues("X-Kedge-Request-ID").ToList();
        Assert.Equal(2, ids.Count); // kedge's and the backend's copy of it
        Assert.Equal(ids[0], ids[1]);
        await Eventually.TrueAsync(() => AccessLines().Any(e => e.Message.Contains(" echo.shop.svc.cluster-b.kedge/echo-request-id ", StringComparison.Ordinal)), "kedge logs the request");
        var line = Assert.Single(AccessLines(), e => e.Message.Contains(" echo.shop.svc.cluster-b.kedge/echo-request-id ", StringComparison.Ordinal));
        Assert.Contains($" request_id={ids[0]} ", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_ManyMadeUpGrpcMethodsAnsweredUnimplemented_RealMethodStillNamed()
    {
        await using var kedge = await StartAsync(accessLog: false);
        using var client = kedge.CreateClient(_logs);
        using var channel = KedgeChannel.ForService("greeter.shop.svc.cluster-b.kedge", client);
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        var invoker = channel.CreateCallInvoker();

        for (var i = 0; i < 100; i++)
        {
            var madeUp = new Method<HelloRequest, HelloReply>(MethodType.Unary, "kedge.testing.Greeter", $"MadeUp{i}", RequestMarshaller, ReplyMarshaller);
            var error = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(madeUp, null, default, new HelloRequest()).ResponseAsync);
            Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        }

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "real" });

        Assert.Equal("Hello real", reply.Message);
        var metrics = await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => m.Contains("grpc_method=\"SayHello\",grpc_code=\"OK\"", StringComparison.Ordinal),
            "the real method is counted by name");
        Assert.DoesNotContain("grpc_method=\"MadeUp", metrics, StringComparison.Ordinal);
    }

    private IEnumerable<LogEntry> AccessLines() => _logs.Entries.Where(e => e.Category == KedgeServerLog.AccessLogCategory);

    private static async Task AnswerAndEndAsync(HttpContext context)
    {
        context.Response.ContentType = "application/grpc";
        var message = new HelloReply { Message = "early" }.ToByteArray();
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        await context.Response.Body.WriteAsync(frame);
        context.Response.AppendTrailer("grpc-status", "0");
        await context.Response.CompleteAsync();

        // Still listening after its own end (a peer that drains the caller's stream), so the request stays open.
        await context.Request.Body.CopyToAsync(Stream.Null);
    }

    private Task<KedgeServerFixture> StartAsync(bool accessLog) => KedgeServerFixture.StartAsync(
        _logs,
        new KedgeServerOptions
        {
            GrpcRoutes =
            [
                new() { Backend = "early", ServiceName = EarlyService, AuthorityHost = "early.shop.svc.cluster-b.kedge" },
                new() { Backend = "early", ServiceName = "kedge.testing.Greeter", AuthorityHost = "greeter.shop.svc.cluster-b.kedge" },
            ],
            HttpRoutes = [new() { Backend = "echo", Host = "echo.shop.svc.cluster-b.kedge" }],
            HttpBackends = [new() { Name = "echo", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
            GrpcBackends = [new() { Name = "early", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
        },
        settings => settings.AccessLog = accessLog);
}
