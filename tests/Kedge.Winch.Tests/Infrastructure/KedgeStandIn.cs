using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>
/// A kedge stand-in for <c>winch check</c>: loopback Kestrel with TLS that requires a client certificate from the CA it
/// trusts, HTTP/1.1 and HTTP/2, and answers like kedge: <see cref="NoRouteHost"/> gets kedge's no-route error,
/// <see cref="MissingHost"/> a backend's 404, anything else the echo (200) and the greeter. Also the caller's certificate,
/// key and CA files. The one kedge of winch's tests: <see cref="WinchTestEnvironment"/> starts it too.
/// </summary>
public sealed class KedgeStandIn : IAsyncDisposable
{
    public const string NoRouteHost = "nothing.cluster-b.internal";
    public const string MissingHost = "missing.cluster-b.internal";
    public const string RoutedHost = "orders.cluster-b.internal";

    /// <summary>Any host with this path gets kedge's no-route error too.</summary>
    public const string KedgeErrorPath = "/kedge-error";

    private KedgeStandIn(TempDirectory dir, TestCertificateAuthority ca, TestCertificateAuthority? otherCa, LoopbackServer server, string certificateFile, string keyFile, string caFile)
    {
        Dir = dir;
        Ca = ca;
        OtherCa = otherCa;
        Server = server;
        CertificateFile = certificateFile;
        KeyFile = keyFile;
        CaFile = caFile;
    }

    public TempDirectory Dir { get; }

    public TestCertificateAuthority Ca { get; }

    public TestCertificateAuthority? OtherCa { get; }

    public LoopbackServer Server { get; }

    /// <summary>The client certificate winch presents (issued by <see cref="Ca"/>).</summary>
    public string CertificateFile { get; }

    public string KeyFile { get; }

    /// <summary>The CA of kedge's server certificate (and of the client certificate).</summary>
    public string CaFile { get; }

    /// <summary><c>https://localhost:port</c>.</summary>
    public string Url => Server.BaseAddress.ToString().TrimEnd('/');

    /// <summary>Starts a kedge stand-in as <paramref name="options"/> say (default: mTLS required, HTTP/1.1 and HTTP/2).</summary>
    public static async Task<KedgeStandIn> StartAsync(TestLogSink logs, KedgeStandInOptions? options = null)
    {
        options ??= new KedgeStandInOptions();
        var dir = new TempDirectory();
        var ca = TestCertificateAuthority.Create();
        var otherCa = options.TrustsAnotherCa ? TestCertificateAuthority.Create("Another CA") : null;
        var server = await LoopbackServer.StartAsync(
            new LoopbackServerOptions
            {
                ServerCertificate = ca.IssueServerCertificate("kedge.cluster-b.test"),
                ClientCertificateMode = options.ClientCertificateMode,
                ClientCertificateAuthority = otherCa ?? ca,
                Protocols = options.Protocols,
            },
            logs,
            app =>
            {
                options.Configure?.Invoke(app);
                app.Use((context, next) =>
                {
                    if (context.Request.Host.Host == NoRouteHost || context.Request.Path == KedgeErrorPath)
                    {
                        context.Response.StatusCode = StatusCodes.Status502BadGateway;
                        context.Response.Headers["X-Kedge-Error"] = "unknown route to service";
                        context.Response.Headers["X-Kedge-Error-Type"] = "no-route";
                        context.Response.Headers["X-Kedge-Request-ID"] = "req-42";
                        return Task.CompletedTask;
                    }

                    if (context.Request.Host.Host == MissingHost)
                    {
                        context.Response.StatusCode = StatusCodes.Status404NotFound;
                        return Task.CompletedTask;
                    }

                    return next(context);
                });
            });
        var (certificate, key) = TestCertificateAuthority.WritePem(ca.IssueClientCertificate("winch-developer", lifetime: options.ClientLifetime), dir.Combine("client"));
        var caFile = ca.WriteCaPem(dir.Path);
        return new KedgeStandIn(dir, ca, otherCa, server, certificate, key, caFile);
    }

    /// <summary>winch's flags for this kedge: the mapper config (with <c>{KEDGE}</c> replaced), the certificate, key and CA.</summary>
    public List<string> Flags(string mapperConfig, params string[] extra) =>
    [
        .. FlagsWithoutCa(mapperConfig),
        "--client_tls_root_ca_files=" + CaFile,
        .. extra,
    ];

    /// <summary>As <see cref="Flags"/> without the CA of kedge's certificate: give your own <c>--client_tls_root_ca_files</c>.</summary>
    public List<string> FlagsWithoutCa(string mapperConfig) =>
    [
        "--server_mapper_config=" + mapperConfig.Replace("{KEDGE}", Url, StringComparison.Ordinal),
        "--client_tls_cert_file=" + CertificateFile,
        "--client_tls_key_file=" + KeyFile,
    ];

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        OtherCa?.Dispose();
        Ca.Dispose();
        Dir.Dispose();
    }
}
