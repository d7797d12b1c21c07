using System.Net.Http.Json;
using System.Text;
using Grpc.Core;
using Kedge.Client.Grpc;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kedge.FunctionalTests.Client;

public sealed class DependencyInjectionTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private KedgeStandIn _kedge = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _kedge = await KedgeStandIn.StartAsync(_logs);
        var json = $$"""
            { "Kedge": {
                "Routes": [
                  { "Regex": { "Pattern": "^(?<svc>[a-z0-9-]+)\\.(?<ns>[a-z0-9-]+)\\.svc\\.cluster-b\\.kedge(:[0-9]+)?$", "Url": "{{_kedge.KedgeUrl.ToString().TrimEnd('/')}}" }, "ProxyAuth": "mesh-token" } ],
                "ClientCertificate": { "CertificateFile": "{{_kedge.ClientSecret.CertificatePath}}", "KeyFile": "{{_kedge.ClientSecret.KeyPath}}" },
                "KedgeCaFiles": [ "{{_kedge.CaFile}}" ],
                "TokenSources": { "mesh-token": { "Value": "from-config" } } } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(_logs);
        services.AddKedgeClient(configuration.GetSection("Kedge"));
        services.AddHttpClient("orders", c => c.BaseAddress = new Uri("http://orders.shop.svc.cluster-b.kedge:8080")).AddKedge();
        services.AddGrpcClient<Greeter.GreeterClient>(o => o.Address = new Uri("http://greeter.shop.svc.cluster-b.kedge:8081")).AddKedge();
        _services = services.BuildServiceProvider();
        _services.GetRequiredService<IStartupValidator>().Validate();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _kedge.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task AddHttpClient_AddKedge_RoutesThroughKedgeWithConfiguredToken()
    {
        var http = _services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        var echo = await http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions);

        Assert.Equal("orders.shop.svc.cluster-b.kedge:8080", echo!.Host);
        Assert.Equal("Bearer from-config", echo.Headers["Proxy-Authorization"]);
        Assert.Equal("CN=caller-v1", echo.ClientCertificateSubject);
    }

    [Fact]
    public async Task AddGrpcClient_AddKedge_UnaryAndStreamingWork()
    {
        var greeter = _services.GetRequiredService<Greeter.GreeterClient>();

        var reply = await greeter.SayHelloAsync(new HelloRequest { Name = "di" });
        using var stream = greeter.SayHellos(new HelloRequest { Name = "di", Count = 3 });
        var streamed = await stream.ResponseStream.ReadAllAsync().CountAsync();

        Assert.Equal("greeter.shop.svc.cluster-b.kedge:8081", reply.Authority);
        Assert.Equal("Bearer from-config", reply.ProxyAuthorization);
        Assert.Equal(3, streamed);
    }

    [Fact]
    public async Task AddGrpcClient_ClientStreamingAndBidi_Work()
    {
        var greeter = _services.GetRequiredService<Greeter.GreeterClient>();

        using var collect = greeter.CollectHellos();
        await collect.RequestStream.WriteAsync(new HelloRequest { Name = "x" });
        await collect.RequestStream.WriteAsync(new HelloRequest { Name = "y" });
        await collect.RequestStream.CompleteAsync();
        using var chat = greeter.Chat();
        await chat.RequestStream.WriteAsync(new HelloRequest { Name = "z" });
        await chat.RequestStream.CompleteAsync();
        var chatted = await chat.ResponseStream.ReadAllAsync().Select(r => r.Message).ToListAsync();

        Assert.Equal("Hello x, y", (await collect).Message);
        Assert.Equal(["Hello z"], chatted);
    }

    [Fact]
    public async Task ForService_WithServiceProvider_UsesRegisteredClientAndSharesConnections()
    {
        using var channel = KedgeChannel.ForService("users.auth.svc.cluster-b.kedge:9090", _services);
        var http = _services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "sp" }, new CallOptions());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Version = System.Net.HttpVersion.Version20 };
        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal("users.auth.svc.cluster-b.kedge:9090", reply.Authority);
        Assert.Equal("Bearer from-config", reply.ProxyAuthorization);
        Assert.Equal(reply.ConnectionId, echo!.ConnectionId);
    }
}
