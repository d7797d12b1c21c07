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
/// A kedge stand-in (loopback Kestrel with TLS, required client certificates from a test CA, HTTP/1.1 and HTTP/2, the
/// echo endpoint and the greeter), a plain-HTTP backend for direct pass-through, and winch started in-process on free
/// ports with the caller's certificate, the CA and the given configs.
/// </summary>
public sealed class WinchTestEnvironment : IAsyncDisposable
{
    public const string KedgeErrorPath = "/kedge-error";

    private WinchTestEnvironment(TempDirectory dir, TestCertificateAuthority ca, LoopbackServer kedge, LoopbackServer backend, WinchServer winch)
    {
        Dir = dir;
        Ca = ca;
        Kedge = kedge;
        Backend = backend;
        Winch = winch;
    }

    public TempDirectory Dir { get; }

    public TestCertificateAuthority Ca { get; }

    public LoopbackServer Kedge { get; }

    public LoopbackServer Backend { get; }

    internal WinchServer Winch { get; }

    /// <summary><c>https://localhost:port</c>, for kedge URLs in mapper configs.</summary>
    public string KedgeUrl => Kedge.BaseAddress.ToString().TrimEnd('/');

    public Uri WinchHttpAddress => new($"http://127.0.0.1:{Winch.HttpPort}");

    public Uri WinchGrpcAddress => new($"http://127.0.0.1:{Winch.GrpcPort}");

    /// <summary>Starts everything. <paramref name="mapperConfig"/> may use <c>{KEDGE}</c> for the stand-in's URL.</summary>
    public static async Task<WinchTestEnvironment> StartAsync(TestLogSink logs, string mapperConfig, string authConfig = "{}", IEnumerable<string>? extraFlags = null, TimeProvider? clock = null, Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols kedgeProtocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2, bool trustKedgeCa = true, Action<WebApplicationBuilder>? configureHost = null)
    {
        var dir = new TempDirectory();
        var ca = TestCertificateAuthority.Create();
        var kedge = await LoopbackServer.StartAsync(
            new LoopbackServerOptions
            {
                ServerCertificate = ca.IssueServerCertificate("kedge.cluster-b.test"),
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateAuthority = ca,
                Protocols = kedgeProtocols,
            },
            logs,
            app => app.Map(KedgeErrorPath, (HttpContext context) =>
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                context.Response.Headers["X-Kedge-Error"] = "no route for this host";
                context.Response.Headers["X-Kedge-Error-Type"] = "no-route";
                return Task.CompletedTask;
            }));
        var backend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1 }, logs);
        var (certificate, key) = TestCertificateAuthority.WritePem(ca.IssueClientCertificate("winch-developer"), dir.Combine("client"));
        var caFile = ca.WriteCaPem(dir.Path);
        var kedgeUrl = kedge.BaseAddress.ToString().TrimEnd('/');

        string[] flags =
        [
            "--server_http_port=0",
            "--server_grpc_port=0",
            "--server_mapper_config=" + mapperConfig.Replace("{KEDGE}", kedgeUrl, StringComparison.Ordinal),
            "--server_auth_config=" + authConfig.Replace("{DIR}", JsonEncodedText.Encode(dir.Path).ToString(), StringComparison.Ordinal),
            "--client_tls_cert_file=" + certificate,
            "--client_tls_key_file=" + key,
            .. trustKedgeCa ? ["--client_tls_root_ca_files=" + caFile] : Array.Empty<string>(),
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
        return new WinchTestEnvironment(dir, ca, kedge, backend, winch);
    }

    /// <summary>An HttpClient that uses winch as its HTTP proxy, as curl with HTTP_PROXY does.</summary>
    public HttpClient CreateProxiedClient() => new(new SocketsHttpHandler { Proxy = new WebProxy(WinchHttpAddress), UseProxy = true, AllowAutoRedirect = false });

    /// <summary>An HttpClient that talks to winch itself (no proxy).</summary>
    public HttpClient CreateDirectClient() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = WinchHttpAddress };

    public async ValueTask DisposeAsync()
    {
        await Winch.DisposeAsync();
        await Kedge.DisposeAsync();
        await Backend.DisposeAsync();
        Ca.Dispose();
        Dir.Dispose();
    }
}
