using System.Net;
using System.Text.Json;
using Kedge.Testing;
using Kedge.Winch.Commands;
using Kedge.Winch.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>
/// A <see cref="KedgeStandIn"/> (loopback Kestrel with TLS, required client certificates from a test CA, HTTP/1.1 and
/// HTTP/2 or the given protocols, the echo endpoint and the greeter), a plain-HTTP backend for direct pass-through, and winch started in-process on free
/// ports with the caller's certificate, the CA and the given configs.
/// </summary>
public sealed class WinchTestEnvironment : IAsyncDisposable
{
    public const string KedgeErrorPath = KedgeStandIn.KedgeErrorPath;

    private WinchTestEnvironment(KedgeStandIn standIn, LoopbackServer backend, WinchServer winch)
    {
        StandIn = standIn;
        Backend = backend;
        Winch = winch;
    }

    public KedgeStandIn StandIn { get; }

    public TempDirectory Dir => StandIn.Dir;

    public TestCertificateAuthority Ca => StandIn.Ca;

    public LoopbackServer Kedge => StandIn.Server;

    public LoopbackServer Backend { get; }

    internal WinchServer Winch { get; }

    /// <summary><c>https://localhost:port</c>, for kedge URLs in mapper configs.</summary>
    public string KedgeUrl => Kedge.BaseAddress.ToString().TrimEnd('/');

    public Uri WinchHttpAddress => new($"http://127.0.0.1:{Winch.HttpPort}");

    public Uri WinchGrpcAddress => new($"http://127.0.0.1:{Winch.GrpcPort}");

    /// <summary>Starts everything. <paramref name="mapperConfig"/> may use <c>{KEDGE}</c> for the stand-in's URL.</summary>
    public static async Task<WinchTestEnvironment> StartAsync(TestLogSink logs, string mapperConfig, string authConfig = "{}", IEnumerable<string>? extraFlags = null, TimeProvider? clock = null, Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols kedgeProtocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2, bool trustKedgeCa = true, Action<WebApplicationBuilder>? configureHost = null)
    {
        var kedge = await KedgeStandIn.StartAsync(logs, new KedgeStandInOptions { Protocols = kedgeProtocols });
        var dir = kedge.Dir;
        var backend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1 }, logs);
        var kedgeUrl = kedge.Url;

        string[] flags =
        [
            "--server_http_port=0",
            "--server_grpc_port=0",
            "--server_mapper_config=" + mapperConfig.Replace("{KEDGE}", kedgeUrl, StringComparison.Ordinal),
            "--server_auth_config=" + authConfig.Replace("{DIR}", JsonEncodedText.Encode(dir.Path).ToString(), StringComparison.Ordinal),
            "--client_tls_cert_file=" + kedge.CertificateFile,
            "--client_tls_key_file=" + kedge.KeyFile,
            .. trustKedgeCa ? ["--client_tls_root_ca_files=" + kedge.CaFile] : Array.Empty<string>(),
            .. extraFlags ?? [],
        ];
        var errors = new List<string>();
        var settings = WinchCommand.ReadSettings(flags, errors) ?? throw new InvalidOperationException("winch settings: " + string.Join("\n", errors));
        var winch = WinchServer.Build(
            settings,
            errors,
            builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(logs);
                builder.Logging.SetMinimumLevel(LogLevel.Debug);
                configureHost?.Invoke(builder);
            },
            clock) ?? throw new InvalidOperationException("winch: " + string.Join("\n", errors));
        await winch.StartAsync();
        return new WinchTestEnvironment(kedge, backend, winch);
    }

    /// <summary>An HttpClient that uses winch as its HTTP proxy, as curl with HTTP_PROXY does.</summary>
    public HttpClient CreateProxiedClient() => new(new SocketsHttpHandler { Proxy = new WebProxy(WinchHttpAddress), UseProxy = true, AllowAutoRedirect = false });

    /// <summary>An HttpClient that talks to winch itself (no proxy).</summary>
    public HttpClient CreateDirectClient() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = WinchHttpAddress };

    public async ValueTask DisposeAsync()
    {
        await Winch.DisposeAsync();
        await StandIn.DisposeAsync();
        await Backend.DisposeAsync();
    }
}
