using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Proxy;

public sealed class WinchKedgeFailureTests
{
    [Fact]
    public async Task Proxy_KedgeUnreachable_502AndGrpcUnavailableNamingTheKedge()
    {
        using var logs = new TestLogSink();
        var closed = ClosedPort();
        var mapper = $$$"""{"routes": [{"direct": {"key": "orders.cluster-b.internal:8080", "url": "https://localhost:{{{closed}}}"}}]}""";
        await using var env = await WinchTestEnvironment.StartAsync(logs, mapper);
        using var client = env.CreateProxiedClient();
        using var channel = GrpcChannel.ForAddress(env.WinchGrpcAddress, new GrpcChannelOptions { HttpHandler = new AuthorityHandler("orders.cluster-b.internal:8080", new SocketsHttpHandler()) });

        using var response = await client.GetAsync("http://orders.cluster-b.internal:8080/");
        var error = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("transport-unknown-error", response.Headers.GetValues("X-Winch-Error-Type").Single());
        Assert.Contains($"localhost:{closed}", response.Headers.GetValues("X-Winch-Error").Single(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith($"winch could not reach kedge https://localhost:{closed}/ for orders.cluster-b.internal:8080", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_KedgeCertificateFromAnotherCa_RefusedUnlessClientInsecure()
    {
        using var logs = new TestLogSink();
        using var otherCa = TestCertificateAuthority.Create("Other CA");
        using var dir = new TempDirectory();
        var mapper = """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}}]}""";
        var otherCaFile = otherCa.WriteCaPem(dir.Path);
        await using var strict = await WinchTestEnvironment.StartAsync(logs, mapper, extraFlags: ["--client_tls_root_ca_files=" + otherCaFile], trustKedgeCa: false);
        await using var insecure = await WinchTestEnvironment.StartAsync(logs, mapper, extraFlags: ["--client_tls_root_ca_files=" + otherCaFile, "--client_insecure"], trustKedgeCa: false);
        using var strictClient = strict.CreateProxiedClient();
        using var insecureClient = insecure.CreateProxiedClient();

        using var refused = await strictClient.GetAsync("http://orders.cluster-b.internal/");
        using var accepted = await insecureClient.GetAsync("http://orders.cluster-b.internal/");

        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("TLS handshake with kedge", refused.Headers.GetValues("X-Winch-Error").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
