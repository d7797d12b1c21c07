using System.Net;
using Kedge.Client;
using Kedge.Client.Configuration;
using Kedge.Client.Mapping;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kedge.FunctionalTests.Client;

/// <summary>
/// A kedge stand-in for client tests: a loopback Kestrel server with TLS, required client certificates from the test CA,
/// HTTP/1.1 and HTTP/2, the greeter and the echo endpoint; plus the caller's certificate laid out as a Kubernetes secret.
/// </summary>
public sealed class KedgeStandIn : IAsyncDisposable
{
    public const string KedgeName = "kedge.cluster-b.test";

    private KedgeStandIn(TempDirectory dir, TestCertificateAuthority ca, LoopbackServer server, KubernetesSecretVolume clientSecret, string caFile)
    {
        Dir = dir;
        Ca = ca;
        Server = server;
        ClientSecret = clientSecret;
        CaFile = caFile;
    }

    public TempDirectory Dir { get; }

    public TestCertificateAuthority Ca { get; }

    public LoopbackServer Server { get; }

    public KubernetesSecretVolume ClientSecret { get; }

    public string CaFile { get; }

    /// <summary><c>https://localhost:port</c>.</summary>
    public Uri KedgeUrl => Server.BaseAddress;

    public static async Task<KedgeStandIn> StartAsync(TestLogSink logs, Action<WebApplication>? map = null, ClientCertificateMode mode = ClientCertificateMode.RequireCertificate, IPAddress? address = null)
    {
        var dir = new TempDirectory();
        var ca = TestCertificateAuthority.Create();
        var server = await LoopbackServer.StartAsync(
            new LoopbackServerOptions
            {
                ServerCertificate = ca.IssueServerCertificate(KedgeName),
                ClientCertificateMode = mode,
                ClientCertificateAuthority = ca,
                Address = address ?? IPAddress.Loopback,
            },
            logs,
            map);
        var secret = new KubernetesSecretVolume(dir.Combine("client-tls"));
        secret.Update(ca.IssueClientCertificate("caller-v1"));
        var caFile = ca.WriteCaPem(dir.Path);
        return new KedgeStandIn(dir, ca, server, secret, caFile);
    }

    /// <summary>Options for a client with the caller's certificate and the test CA.</summary>
    public KedgeClientOptions ClientOptions(KedgeMapper mapper, Action<KedgeClientOptions>? configure = null)
    {
        var options = new KedgeClientOptions
        {
            Mapper = mapper,
            ClientCertificate = new KedgeClientCertificateOptions { CertificateFile = ClientSecret.CertificatePath, KeyFile = ClientSecret.KeyPath },
        };
        options.KedgeCaFiles.Add(CaFile);
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A client that sends every <c>*.kedge</c> name to this stand-in.</summary>
    public KedgeClient CreateClient(TestLogSink logs, Action<KedgeClientOptions>? configure = null)
        => KedgeClient.Create(ClientOptions(KedgeMapper.Regex(@"\.kedge(:[0-9]+)?$", KedgeUrl.ToString().TrimEnd('/')), configure), logs);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Ca.Dispose();
        Dir.Dispose();
    }
}
