using System.Net;
using System.Net.Sockets;
using System.Text;
using Kedge.Common.Http.Tunnels;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Tests.Common.Tunnels;

/// <summary>The connection middleware in front of a real Kestrel: what is not CONNECT must reach HTTP unchanged.</summary>
public sealed class Http1ConnectTunnelKestrelTests : IAsyncLifetime
{
    private readonly TcpEchoServer _echo = TcpEchoServer.Start();
    private WebApplication _app = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        var tunnel = new Http1ConnectTunnel<ConnectionContext>(ConnectToEchoAsync, RefuseAsync, new Http1ConnectLimits(), TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => async connection =>
        {
            if (!await tunnel.TryTakeAsync(connection.Transport, connection, connection.ConnectionClosed))
            {
                await next(connection);
            }
        })));
        _app = builder.Build();
        _app.MapGet("/", () => "hello");
        _app.MapPost("/echo", async (HttpRequest request) => await new StreamReader(request.Body).ReadToEndAsync());
        await _app.StartAsync();
        _port = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Fact]
    public async Task Get_WholeRequestInOneWrite_AnsweredWithoutWaitingForMoreBytes()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();

        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());

        var answer = await ReadUntilAsync(stream, "hello");
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpClient_KeepAliveRequests_ServedByKestrel()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };

        Assert.Equal("hello", await http.GetStringAsync("/"));
        using var posted = await http.PostAsync("/echo", new StringContent("CONNECT body"));
        Assert.Equal("CONNECT body", await posted.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Connect_ToEchoServer_TunnelCarriesBytesBothWays()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{_echo.Port} HTTP/1.1\r\nHost: x\r\n\r\n"));
        var established = await ReadUntilAsync(stream, "\r\n\r\n");
        await stream.WriteAsync("through the tunnel"u8.ToArray());

        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\n", established);
        Assert.Equal("through the tunnel", await ReadUntilAsync(stream, "tunnel"));
        Assert.Equal(1, _echo.ConnectionCount);
    }

    [Fact]
    public async Task Connect_MalformedHead_RefusedAndClosed()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();

        await stream.WriteAsync("CONNECT a:1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());

        var answer = await new StreamReader(stream).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", answer, StringComparison.Ordinal);
    }

    private async Task ConnectToEchoAsync(Http1ConnectHead head, ConnectionContext connection, Stream stream, CancellationToken cancellationToken)
    {
        using var backend = new TcpClient();
        await backend.ConnectAsync(IPAddress.Loopback, _echo.Port, cancellationToken);
        await Http1ConnectResponse.WriteEstablishedAsync(stream, cancellationToken);
        var backendStream = backend.GetStream();
        var up = stream.CopyToAsync(backendStream, cancellationToken);
        var down = backendStream.CopyToAsync(stream, cancellationToken);
        await Task.WhenAny(up, down);
    }

    private static Task RefuseAsync(Http1ConnectHeadError error, ConnectionContext connection, Stream stream, CancellationToken cancellationToken)
        => Http1ConnectResponse.WriteRefusalAsync(stream, 400, [], error.ToString(), cancellationToken);

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _port);
        return client;
    }

    private static async Task<string> ReadUntilAsync(Stream stream, string end)
    {
        using var timeout = new CancellationTokenSource(Eventually.DefaultTimeout);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains(end, StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
