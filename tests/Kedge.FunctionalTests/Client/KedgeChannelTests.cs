using Grpc.Core;
using Grpc.Net.Client;
using Kedge.Client;
using Kedge.Client.Grpc;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kedge.FunctionalTests.Client;

public sealed class KedgeChannelTests : IAsyncLifetime
{
    private const string Target = "greeter.shop.svc.cluster-b.kedge:8081";
    private readonly TestLogSink _logs = new();
    private KedgeStandIn _kedge = null!;
    private KedgeClient _client = null!;

    public async Task InitializeAsync()
    {
        _kedge = await KedgeStandIn.StartAsync(_logs, app =>
        {
            // Answers like Go kedge does for an unknown gRPC route reached over its HTTPS port: plain HTTP 502 + error headers.
            app.Use(async (context, next) =>
            {
                if (context.Request.Host.Host != "unknown.shop.svc.cluster-b.kedge")
                {
                    await next(context);
                    return;
                }

                context.Response.StatusCode = 502;
                context.Response.Headers["X-Kedge-Error"] = "unknown route to service";
                context.Response.Headers["X-Kedge-Error-Type"] = "no-route";
                await context.Response.WriteAsync("unknown route to service");
            });
        });
        _client = _kedge.CreateClient(_logs);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _kedge.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Unary_ThroughKedge_CarriesTargetAuthorityAndClientCertificate()
    {
        using var channel = KedgeChannel.ForService(Target, _client);
        var greeter = new Greeter.GreeterClient(channel);

        var reply = await greeter.SayHelloAsync(new HelloRequest { Name = "kedge" });

        Assert.Equal("Hello kedge", reply.Message);
        Assert.Equal(Target, reply.Authority);
        Assert.Equal("CN=caller-v1", reply.ClientCertificateSubject);
        Assert.Equal("localhost", reply.Sni);
    }

    [Fact]
    public async Task Unary_TargetWithoutPort_AuthorityIsExactlyAsGiven()
    {
        using var channel = KedgeChannel.ForService("greeter.shop.svc.cluster-b.kedge", _client);

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "x" });

        Assert.Equal("greeter.shop.svc.cluster-b.kedge", reply.Authority);
    }

    [Fact]
    public async Task ServerStreaming_ThroughKedge_ReceivesEveryMessage()
    {
        using var channel = KedgeChannel.ForService(Target, _client);
        using var call = new Greeter.GreeterClient(channel).SayHellos(new HelloRequest { Name = "s", Count = 5 });

        var replies = new List<string>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            replies.Add(reply.Message);
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"Hello s {i}"), replies);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ClientStreaming_ThroughKedge_ServerSeesEveryMessage()
    {
        using var channel = KedgeChannel.ForService(Target, _client);
        using var call = new Greeter.GreeterClient(channel).CollectHellos();

        foreach (var name in new[] { "a", "b", "c" })
        {
            await call.RequestStream.WriteAsync(new HelloRequest { Name = name });
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call;

        Assert.Equal("Hello a, b, c", reply.Message);
        Assert.Equal(Target, reply.Authority);
    }

    [Fact]
    public async Task BidirectionalStreaming_ThroughKedge_EchoesInOrder()
    {
        using var channel = KedgeChannel.ForService(Target, _client);
        using var call = new Greeter.GreeterClient(channel).Chat();

        var received = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new HelloRequest { Name = $"m{i}" });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            received.Add(call.ResponseStream.Current.Message);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(["Hello m0", "Hello m1", "Hello m2"], received);
    }

    [Fact]
    public async Task Unary_DeadlineShorterThanServer_DeadlineExceeded()
    {
        using var channel = KedgeChannel.ForService(Target, _client);
        var greeter = new Greeter.GreeterClient(channel);

        var ex = await Assert.ThrowsAsync<RpcException>(() => greeter.SayHelloAsync(
            new HelloRequest { Name = "slow", DelayMs = 5000 },
            deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }

    [Fact]
    public async Task ServerStreaming_Cancelled_CancelledStatus()
    {
        using var channel = KedgeChannel.ForService(Target, _client);
        using var cts = new CancellationTokenSource();
        using var call = new Greeter.GreeterClient(channel).SayHellos(new HelloRequest { Name = "c", Count = 100, DelayMs = 100 }, cancellationToken: cts.Token);

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task Channels_ForDifferentServices_ShareOneConnection()
    {
        using var first = KedgeChannel.ForService("orders.shop.svc.cluster-b.kedge:8081", _client);
        using var second = KedgeChannel.ForService("users.auth.svc.cluster-b.kedge:9090", _client);

        var a = await new Greeter.GreeterClient(first).SayHelloAsync(new HelloRequest { Name = "a" });
        var b = await new Greeter.GreeterClient(second).SayHelloAsync(new HelloRequest { Name = "b" });

        Assert.Equal("orders.shop.svc.cluster-b.kedge:8081", a.Authority);
        Assert.Equal("users.auth.svc.cluster-b.kedge:9090", b.Authority);
        Assert.Equal(a.ConnectionId, b.ConnectionId);
        Assert.Equal(1, _kedge.Server.ConnectionCount);
    }

    [Fact]
    public async Task Unary_RouteTokens_ArriveAsMetadata()
    {
        var route = new KedgeRoute(_kedge.KedgeUrl)
        {
            ProxyAuth = KedgeTokenSource.FromValue("mesh", "proxy-secret"),
            BackendAuth = KedgeTokenSource.FromValue("backend", "backend-secret"),
        };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("greeter.kedge", route)])), _logs);
        using var channel = KedgeChannel.ForService("greeter.kedge", client);

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "t" });

        Assert.Equal("Bearer proxy-secret", reply.ProxyAuthorization);
        Assert.Equal("Bearer backend-secret", reply.Authorization);
    }

    [Fact]
    public async Task Unary_KedgeAnswersPlainHttpError_MeaningfulGrpcStatus()
    {
        using var channel = KedgeChannel.ForService("unknown.shop.svc.cluster-b.kedge", _client);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Equal("kedge error (no-route): unknown route to service", ex.Status.Detail);
        Assert.Equal("no-route", ex.Trailers.GetValue("x-kedge-error-type"));
        Assert.Single(_logs.WithEventName("KedgeErrorResponse"));
    }

    [Theory]
    [InlineData("example.org", "is not a kedge destination")]
    [InlineData("10.1.2.3:80", "IP address")]
    [InlineData("[::1]:80", "IP address")]
    [InlineData("https://greeter.kedge", "not a target authority")]
    [InlineData("greeter.kedge/path", "not a target authority")]
    public void ForService_BadTarget_ArgumentException(string target, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeChannel.ForService(target, _client));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal("targetAuthority", ex.ParamName);
    }

    [Fact]
    public void ForService_ConfigureReplacesTransport_ArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeChannel.ForService(Target, _client, o => o.HttpHandler = new SocketsHttpHandler()));

        Assert.Contains("do not set", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForService_ConfigureSetsMessageLimits_Applied()
    {
        using var channel = KedgeChannel.ForService(Target, _client, o => o.MaxReceiveMessageSize = 10);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "a long name" }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }
}
