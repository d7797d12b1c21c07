using System.Net;
using Grpc.AspNetCore.Web;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// gRPC-Web through kedge with Grpc.Net.Client.Web (<see cref="GrpcWebHandler"/>, both modes, caller over HTTP/1.1 and
/// HTTP/2): passed through an HTTP route to a gRPC-Web backend, and translated to gRPC for a gRPC route with
/// <c>GrpcWeb: true</c> toward a plain gRPC backend that speaks only h2c (so it cannot have answered gRPC-Web itself).
/// </summary>
public sealed class GrpcWebTests : IAsyncLifetime
{
    private const string PassThroughHost = "web.grpcweb.test";
    private const string TranslatedHost = "translated.grpcweb.test";
    private const string UntranslatedHost = "untranslated.grpcweb.test";
    private const string LockedHost = "locked.grpcweb.test";

    private readonly TestLogSink _logs = new();
    private LoopbackServer _webBackend = null!;
    private LoopbackServer _grpcBackend = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        // A gRPC-Web backend as such backends are usually deployed: HTTP/1.1, Grpc.AspNetCore.Web in the app.
        _webBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http1 }, _logs, app => app.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true }));
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 }, _logs);
        _kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "web", Host = PassThroughHost }],
            GrpcRoutes =
            [
                new() { Backend = "greeter", AuthorityHost = TranslatedHost, GrpcWeb = true },
                new() { Backend = "greeter", AuthorityHost = UntranslatedHost },
                new() { Backend = "greeter", AuthorityHost = LockedHost, GrpcWeb = true, Authorization = new() { ClientCertificate = new() { SubjectCommonNames = ["someone-else"] } } },
            ],
            HttpBackends = [new() { Name = "web", Static = new() { Addresses = [$"127.0.0.1:{_webBackend.Port}"] } }],
            GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
        }, settings => settings.GrpcTlsPort = KedgeServerSettings.AnyFreePort);
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _webBackend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        _logs.Dispose();
    }

    public static TheoryData<string, GrpcWebMode, string> Calls => new()
    {
        { PassThroughHost, GrpcWebMode.GrpcWeb, "1.1" },
        { PassThroughHost, GrpcWebMode.GrpcWebText, "1.1" },
        { PassThroughHost, GrpcWebMode.GrpcWeb, "2.0" },
        { PassThroughHost, GrpcWebMode.GrpcWebText, "2.0" },
        { TranslatedHost, GrpcWebMode.GrpcWeb, "1.1" },
        { TranslatedHost, GrpcWebMode.GrpcWebText, "1.1" },
        { TranslatedHost, GrpcWebMode.GrpcWeb, "2.0" },
        { TranslatedHost, GrpcWebMode.GrpcWebText, "2.0" },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task GrpcWeb_UnaryAndServerStreaming_Answered(string host, GrpcWebMode mode, string version)
    {
        using var channel = Channel(host, mode, version);
        var greeter = new Greeter.GreeterClient(channel);

        var reply = await greeter.SayHelloAsync(new HelloRequest { Name = "web" });
        using var stream = greeter.SayHellos(new HelloRequest { Name = "stream", Count = 3 });
        var replies = new List<string>();
        await foreach (var item in stream.ResponseStream.ReadAllAsync())
        {
            replies.Add(item.Message);
        }

        Assert.Equal("Hello web", reply.Message);
        Assert.Equal(host, reply.Authority);
        Assert.Equal(string.Empty, reply.ProxyAuthorization);
        Assert.Equal(["Hello stream 0", "Hello stream 1", "Hello stream 2"], replies);
        // The OK status came in the body's trailer frame (Grpc.Net.Client.Web fails a call without one).
        Assert.Equal(StatusCode.OK, stream.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData(GrpcWebMode.GrpcWeb)]
    [InlineData(GrpcWebMode.GrpcWebText)]
    public async Task GrpcWeb_ThroughKedgeClient_Translated(GrpcWebMode mode)
    {
        using var client = _kedge.CreateClient(_logs);
        // An HttpClient rather than HttpHandler, so the channel does not resolve the service name itself (as KedgeChannel).
        using var channel = GrpcChannel.ForAddress($"http://{TranslatedHost}", new GrpcChannelOptions { HttpClient = new HttpClient(new GrpcWebHandler(mode, client.CreateHandler())), DisposeHttpClient = true });

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "kedge client" });

        Assert.Equal("Hello kedge client", reply.Message);
        Assert.Equal(TranslatedHost, reply.Authority);
    }

    [Theory]
    [InlineData(PassThroughHost, GrpcWebMode.GrpcWeb)]
    [InlineData(PassThroughHost, GrpcWebMode.GrpcWebText)]
    [InlineData(TranslatedHost, GrpcWebMode.GrpcWeb)]
    [InlineData(TranslatedHost, GrpcWebMode.GrpcWebText)]
    public async Task GrpcWeb_BackendErrorStatus_PropagatedToCaller(string host, GrpcWebMode mode)
    {
        using var channel = Channel(host, mode, "1.1");

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker()
            .AsyncUnaryCall(MissingMethod, null, new CallOptions(), new HelloRequest { Name = "nobody" }).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Theory]
    [InlineData(GrpcWebMode.GrpcWeb)]
    [InlineData(GrpcWebMode.GrpcWebText)]
    public async Task GrpcWeb_TranslatedRouteForbidsCaller_PermissionDeniedAndNeverReachesBackend(GrpcWebMode mode)
    {
        var before = _grpcBackend.RequestCount;
        using var channel = Channel(LockedHost, mode, "1.1");

        var error = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "intruder" }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(before, _grpcBackend.RequestCount);
    }

    [Fact]
    public async Task GrpcWeb_GrpcRouteWithoutFlag_RoutedAsHttpAndRefusedAsNoRoute()
    {
        // Without GrpcWeb: true the call is HTTP, and no HTTP route claims the host: kedge's no-route answer (502), which
        // the gRPC-Web client reports as Unavailable. It never reaches the gRPC backend, which cannot speak gRPC-Web.
        var before = _grpcBackend.RequestCount;
        using var channel = Channel(UntranslatedHost, GrpcWebMode.GrpcWeb, "1.1");

        var error = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "untranslated" }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("502", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, _grpcBackend.RequestCount);
    }

    [Fact]
    public async Task GrpcWeb_OnGrpcOnlyPort_TranslatedAnsweredAndPassThroughRefusedWith415()
    {
        using var translated = Channel(TranslatedHost, GrpcWebMode.GrpcWeb, "2.0", _kedge.Server.GrpcPort);
        using var passThrough = Channel(PassThroughHost, GrpcWebMode.GrpcWeb, "2.0", _kedge.Server.GrpcPort);

        var reply = await new Greeter.GreeterClient(translated).SayHelloAsync(new HelloRequest { Name = "grpc port" });
        var error = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(passThrough).SayHelloAsync(new HelloRequest { Name = "http on the grpc port" }).ResponseAsync);

        // A translated call is gRPC once translated; an untranslated gRPC-Web call is HTTP, which the gRPC port refuses.
        Assert.Equal("Hello grpc port", reply.Message);
        Assert.Contains("415", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrpcWeb_Translated_CountedAsGrpcWithTheBackendsStatus()
    {
        using var channel = Channel(TranslatedHost, GrpcWebMode.GrpcWebText, "1.1");
        await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "counted" });
        await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker()
            .AsyncUnaryCall(MissingMethod, null, new CallOptions(), new HelloRequest()).ResponseAsync);

        using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };
        // The OK travels in the body's trailer frame and the Unimplemented in the headers (trailers-only): both read.
        await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => KedgeMetricsTests.ValueOrNull(m, "grpc_server_handled_total", "grpc_service=\"kedge.testing.Greeter\"", "grpc_method=\"SayHello\"", "grpc_code=\"OK\"") == 1
                && KedgeMetricsTests.ValueOrNull(m, "grpc_server_handled_total", "grpc_code=\"Unimplemented\"") == 1
                && KedgeMetricsTests.ValueOrNull(m, "kedge_requests_total", $"route=\"*@{TranslatedHost}\"", "backend_name=\"greeter\"", "protocol=\"grpc\"", "code_class=\"2xx\"") == 2,
            "the translated calls are counted as gRPC with their status");
    }

    private static readonly Method<HelloRequest, HelloReply> MissingMethod = new(MethodType.Unary, "kedge.testing.Missing", "Nothing", Marshallers.Create(r => Google.Protobuf.MessageExtensions.ToByteArray(r), HelloRequest.Parser.ParseFrom), Marshallers.Create(r => Google.Protobuf.MessageExtensions.ToByteArray(r), HelloReply.Parser.ParseFrom));

    /// <summary>A gRPC-Web channel straight to kedge's TLS port, with <c>Host</c> (<c>:authority</c>) = <paramref name="host"/>.</summary>
    private GrpcChannel Channel(string host, GrpcWebMode mode, string version, int? port = null)
    {
        var handler = new GrpcWebHandler(mode, new AuthorityHandler(host, KedgeTestHttp.CreateHandler(_kedge, _kedge.ClientCertificate)));
        return GrpcChannel.ForAddress($"https://localhost:{port ?? _kedge.Server.ProxyPort}", new GrpcChannelOptions
        {
            HttpHandler = handler,
            HttpVersion = Version.Parse(version),
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
    }

    /// <summary>Names the service in <c>Host</c> (the channel's address is kedge's loopback port) and adds kedge's credentials.</summary>
    private sealed class AuthorityHandler(string host, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = host;
            // kedge's credentials: consumed by kedge, never seen by the backend.
            request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Bearer for-kedge-only");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
