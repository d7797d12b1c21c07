using Grpc.Core;
using Grpc.Net.Client;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Proxy;

public sealed class WinchGrpcProxyTests : IAsyncLifetime
{
    private const string Target = "greeter.shop.svc.cluster-b.internal:8081";

    private const string Mapper = """
        {"routes": [
          {"direct": {"key": "greeter.shop.svc.cluster-b.internal:8081", "url": "{KEDGE}"}, "protocol": "GRPC", "proxy_auth": "proxy", "backend_auth": "backend"},
          {"direct": {"key": "http-only.cluster-b.internal:8081", "url": "{KEDGE}"}, "protocol": "HTTP"},
          {"regexp": {"exp": "^test_[a-z_]+\\.cluster-b\\.internal:8081$", "url": "{KEDGE}"}, "protocol": "GRPC"},
          {"direct": {"key": "broken.cluster-b.internal:8081", "url": "{KEDGE}"}, "proxy_auth": "empty-dummy"}
        ]}
        """;

    private const string Auth = """
        {"auth_sources": [
          {"name": "proxy", "token": {"token": "proxy-token"}},
          {"name": "backend", "token": {"token": "backend-token"}},
          {"name": "empty-dummy", "dummy": {"value": ""}}
        ]}
        """;

    private readonly TestLogSink _logs = new();
    private WinchTestEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await WinchTestEnvironment.StartAsync(_logs, Mapper, Auth);

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        _logs.Dispose();
    }

    private Greeter.GreeterClient Client(string authority, out GrpcChannel channel)
    {
        channel = GrpcChannel.ForAddress(_env.WinchGrpcAddress, new GrpcChannelOptions { HttpHandler = new AuthorityHandler(authority, new SocketsHttpHandler()) });
        return new Greeter.GreeterClient(channel);
    }

    [Fact]
    public async Task Unary_KedgeDestination_AuthorityKeptTokensInjectedCallerMetadataKept()
    {
        var client = Client(Target, out var channel);
        using var _ = channel;

        var reply = await client.SayHelloAsync(new HelloRequest { Name = "winch" }, new Metadata { { "x-caller", "kept" } });

        Assert.Equal("Hello winch", reply.Message);
        Assert.Equal(Target, reply.Authority);
        Assert.Equal("Bearer proxy-token", reply.ProxyAuthorization);
        Assert.Equal("Bearer backend-token", reply.Authorization);
        Assert.Equal("localhost", reply.Sni);
        Assert.Contains("CN=winch-developer", reply.ClientCertificateSubject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_AllCallKinds_ForwardedOverOnePooledKedgeConnection()
    {
        var client = Client(Target, out var channel);
        using var _ = channel;

        using var serverStream = client.SayHellos(new HelloRequest { Name = "s", Count = 3 });
        var streamed = new List<string>();
        await foreach (var reply in serverStream.ResponseStream.ReadAllAsync())
        {
            streamed.Add(reply.Message);
        }

        using var clientStream = client.CollectHellos();
        await clientStream.RequestStream.WriteAsync(new HelloRequest { Name = "a" });
        await clientStream.RequestStream.WriteAsync(new HelloRequest { Name = "b" });
        await clientStream.RequestStream.CompleteAsync();
        var collected = await clientStream;

        using var chat = client.Chat();
        await chat.RequestStream.WriteAsync(new HelloRequest { Name = "one" });
        Assert.True(await chat.ResponseStream.MoveNext());
        var first = chat.ResponseStream.Current;
        await chat.RequestStream.WriteAsync(new HelloRequest { Name = "two" });
        Assert.True(await chat.ResponseStream.MoveNext());
        await chat.RequestStream.CompleteAsync();
        Assert.False(await chat.ResponseStream.MoveNext());

        Assert.Equal(["Hello s 0", "Hello s 1", "Hello s 2"], streamed);
        Assert.Equal("Hello a, b", collected.Message);
        Assert.Equal(Target, collected.Authority);
        Assert.Equal("Bearer proxy-token", first.ProxyAuthorization);
        Assert.Equal(1, _env.Kedge.ConnectionCount);
    }

    [Fact]
    public async Task Unary_NotKedgeDestination_Unimplemented()
    {
        var client = Client("unknown.example.com:9000", out var channel);
        using var _ = channel;

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SayHelloAsync(new HelloRequest { Name = "x" }).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("unknown.example.com:9000 is not a kedge destination", error.Status.Detail);
        Assert.Equal(0, _env.Kedge.RequestCount);
    }

    [Fact]
    public async Task Unary_HttpOnlyRoute_NotAKedgeDestinationForGrpc()
    {
        var client = Client("http-only.cluster-b.internal:8081", out var channel);
        using var _ = channel;

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SayHelloAsync(new HelloRequest { Name = "x" }).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("http-only.cluster-b.internal:8081 is not a kedge destination", error.Status.Detail);
    }

    [Fact]
    public async Task Unary_FailingAuthSource_UnauthenticatedNamingTheSource()
    {
        var client = Client("broken.cluster-b.internal:8081", out var channel);
        using var _ = channel;

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SayHelloAsync(new HelloRequest { Name = "x" }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("winch could not get a token from auth source 'empty-dummy': Error dummy auth source. No TokenValue specified", error.Status.Detail);
        Assert.Equal(0, _env.Kedge.RequestCount);
    }

    [Fact]
    public async Task Unary_IpLiteralAuthority_InvalidArgument()
    {
        var client = Client("10.0.0.1:8081", out var channel);
        using var _ = channel;

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SayHelloAsync(new HelloRequest { Name = "x" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("was given the IP address 10.0.0.1:8081", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unary_AuthorityWithUnderscore_ForwardedAndKept()
    {
        var client = Client("test_endpoint.cluster-b.internal:8081", out var channel);
        using var _ = channel;

        var reply = await client.SayHelloAsync(new HelloRequest { Name = "underscore" });

        Assert.Equal("test_endpoint.cluster-b.internal:8081", reply.Authority);
    }

    [Fact]
    public async Task Unary_RouteWithoutProxyAuth_CallersOwnCredentialsPassThrough()
    {
        var client = Client("test_caller.cluster-b.internal:8081", out var channel);
        using var _ = channel;

        var reply = await client.SayHelloAsync(new HelloRequest { Name = "x" }, new Metadata { { "proxy-authorization", "Bearer callers-mesh" }, { "authorization", "Bearer callers-app" } });

        Assert.Equal("Bearer callers-mesh", reply.ProxyAuthorization);
        Assert.Equal("Bearer callers-app", reply.Authorization);
    }
}
