using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Server.Configuration;
using Kedge.Server.Hosting;
using Kedge.Testing;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Server;

/// <summary>A real kedge in-process on loopback TLS (mTLS required), with certificates from a test CA.</summary>
public sealed class KedgeServerFixture : IAsyncDisposable
{
    private KedgeServerFixture(TempDirectory dir, TestCertificateAuthority ca, KedgeServer server, string clientCert, string clientKey, string caFile, System.Security.Cryptography.X509Certificates.X509Certificate2 clientCertificate)
    {
        ClientCertificate = clientCertificate;
        Dir = dir;
        Ca = ca;
        Server = server;
        ClientCertificatePath = clientCert;
        ClientKeyPath = clientKey;
        CaFile = caFile;
    }

    public TempDirectory Dir { get; }

    public System.Security.Cryptography.X509Certificates.X509Certificate2 ClientCertificate { get; }

    public TestCertificateAuthority Ca { get; }

    public KedgeServer Server { get; }

    public string ClientCertificatePath { get; }

    public string ClientKeyPath { get; }

    public string CaFile { get; }

    public Uri KedgeUrl => new($"https://localhost:{Server.ProxyPort}");

    public Uri AdminUrl => new($"http://127.0.0.1:{Server.AdminPort}");

    public static async Task<KedgeServerFixture> StartAsync(TestLogSink logs, KedgeServerOptions routing, Action<KedgeServerSettings>? configure = null, Action<KedgeServerFixture>? beforeStart = null, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configureHost = null)
    {
        var dir = new TempDirectory();
        var ca = TestCertificateAuthority.Create();
        var (serverCert, serverKey) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.test"), dir.Combine("server"));
        var clientCertificate = ca.IssueClientCertificate("caller");
        var (clientCert, clientKey) = TestCertificateAuthority.WritePem(clientCertificate, dir.Combine("client"));
        var caFile = ca.WriteCaPem(dir.Path);
        var settings = new KedgeServerSettings
        {
            BindAddress = "127.0.0.1",
            HttpTlsPort = KedgeServerSettings.AnyFreePort,
            GrpcTlsPort = 0,
            HttpPort = KedgeServerSettings.AnyFreePort,
            TlsCertFile = serverCert,
            TlsKeyFile = serverKey,
            TlsClientCaFiles = [caFile],
        };
        configure?.Invoke(settings);
        var server = KedgeServerApp.Build(settings, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(logs);
            configureHost?.Invoke(builder);
        });
        var fixture = new KedgeServerFixture(dir, ca, server, clientCert, clientKey, caFile, clientCertificate);
        beforeStart?.Invoke(fixture);
        await server.StartAsync();
        var errors = await server.ApplyAsync(routing);
        Assert.Empty(errors);
        return fixture;
    }

    /// <summary>A Kedge.Client that sends every name to this kedge with the caller's certificate.</summary>
    public KedgeClient CreateClient(TestLogSink logs, Action<Kedge.Client.Configuration.KedgeClientOptions>? configure = null)
    {
        var options = new Kedge.Client.Configuration.KedgeClientOptions
        {
            Mapper = KedgeMapper.Single(KedgeUrl),
            ClientCertificate = new() { CertificateFile = ClientCertificatePath, KeyFile = ClientKeyPath },
        };
        options.KedgeCaFiles.Add(CaFile);
        configure?.Invoke(options);
        return KedgeClient.Create(options, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Ca.Dispose();
        Dir.Dispose();
    }
}
