using Kedge.Server.Configuration;
using Kedge.Server.Hosting;
using Kedge.Testing;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Client;

/// <summary>
/// A real kedge in-process on loopback TLS (mTLS required) whose certificates come from a CA shared with other kedges,
/// so one Kedge.Client trusts them all, and which can be stopped and started again on the same port.
/// </summary>
public sealed class FailoverKedge : IAsyncDisposable
{
    public const string ServerName = "kedge.test";

    private readonly TestLogSink _logs;
    private readonly KedgeServerOptions _routing;
    private readonly string _certFile;
    private readonly string _keyFile;
    private readonly string _caFile;
    private KedgeServer? _server;

    private FailoverKedge(TestLogSink logs, KedgeServerOptions routing, string certFile, string keyFile, string caFile)
    {
        _logs = logs;
        _routing = routing;
        _certFile = certFile;
        _keyFile = keyFile;
        _caFile = caFile;
    }

    public int Port { get; private set; }

    /// <summary><c>https://127.0.0.1:port</c> (the certificate names <see cref="ServerName"/>).</summary>
    public Uri Url => new($"https://127.0.0.1:{Port}");

    public static async Task<FailoverKedge> StartAsync(TestLogSink logs, TestCertificateAuthority ca, TempDirectory dir, string name, KedgeServerOptions routing)
    {
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate(ServerName), dir.Combine(name));
        var kedge = new FailoverKedge(logs, routing, cert, key, ca.WriteCaPem(dir.Path));
        await kedge.StartAsync(KedgeServerSettings.AnyFreePort);
        return kedge;
    }

    /// <summary>Kills the kedge: the listener closes and open connections are aborted, with requests on them in flight.</summary>
    public async Task KillAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.App.StopAsync(new CancellationToken(canceled: true));
            await server.DisposeAsync();
        }
    }

    /// <summary>Stops the kedge gracefully: its listener closes, its connections are shut down once idle.</summary>
    public async Task StopAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync();
        }
    }

    /// <summary>Starts the kedge again on the port it had.</summary>
    public Task RestartAsync() => StartAsync(Port);

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task StartAsync(int port)
    {
        var settings = new KedgeServerSettings
        {
            BindAddress = "127.0.0.1",
            HttpTlsPort = port,
            GrpcTlsPort = 0,
            HttpPort = KedgeServerSettings.AnyFreePort,
            TlsCertFile = _certFile,
            TlsKeyFile = _keyFile,
            TlsClientCaFiles = [_caFile],
        };
        var server = KedgeServerApp.Build(settings, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(_logs);
        });
        await server.StartAsync();
        Assert.Empty(await server.ApplyAsync(_routing));
        Port = server.ProxyPort;
        _server = server;
    }
}
