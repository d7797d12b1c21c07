using System.Text.Json;
using Kedge.Server.Hosting;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary><c>kedge check</c> as an operator runs it: the built kedge, a separate process, flags and environment.</summary>
public sealed class KedgeCheckProcessTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("Kedge Check Process CA");
    private LoopbackServer _backend = null!;

    public async Task InitializeAsync() => _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions());

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
    }

    private string Config()
    {
        var path = _dir.Combine("kedge.json");
        File.WriteAllText(path, $$"""
            { "Kedge": {
              "HttpRoutes": [ { "Name": "orders", "Backend": "orders", "Host": "orders.shop.svc.cluster-a.kedge" } ],
              "HttpBackends": [ { "Name": "orders", "Static": { "Addresses": [ "127.0.0.1:{{_backend.Port}}" ] } } ]
            } }
            """);
        return path;
    }

    // A check that started kedge instead would never exit: the runner kills it at the timeout and fails the test.
    private static Task<(int Code, string Stdout, string Stderr)> RunBuiltAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
        => ProcessRun.DotnetAsync(typeof(KedgeProgram).Assembly, ["check", .. args], TimeSpan.FromSeconds(60), environment);

    [Fact]
    public async Task Process_CheckHealthySetupWithCertificateFromTheEnvironment_ExitsZeroWithTheTable()
    {
        var (cert, key) = TestCertificateAuthority.WritePem(_ca.IssueServerCertificate("kedge.cluster-a.example"), _dir.Combine("server"));
        var caFile = _ca.WriteCaPem(_dir.Path);
        var environment = new Dictionary<string, string> { ["Kedge__Server__TlsCertFile"] = cert, ["Kedge__Server__TlsKeyFile"] = key };

        var (code, output, error) = await RunBuiltAsync(environment, $"--config={Config()}", $"--server_tls_client_ca_files={caFile}", "--expect_name=kedge.cluster-a.example");

        Assert.True(code == 0, $"exit {code}:\n{output}\n{error}");
        Assert.StartsWith("configuration\n", output, StringComparison.Ordinal);
        Assert.Contains($"✔ server certificate ", output, StringComparison.Ordinal);
        Assert.Contains($"'CN=kedge.cluster-a.example' from '{cert}' ($Kedge__Server__TlsCertFile)", output, StringComparison.Ordinal);
        Assert.Contains("✔ name kedge.cluster-a.example ", output, StringComparison.Ordinal);
        Assert.Contains($"routing valid: 1 HTTP routes, 0 gRPC routes, 1 backends from {_dir.Combine("kedge.json")}", output, StringComparison.Ordinal);
        Assert.Matches(@"\d+ passed, 0 warnings, 0 failed\n$", output);
    }

    [Fact]
    public async Task Process_CheckExpiredCertificateAsJson_ExitsOneWithTheFailLine()
    {
        // Issued two months ago for one month.
        var withKey = _ca.IssueServerCertificate(DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddDays(-30), "expired.example");
        var (cert, keyFile) = TestCertificateAuthority.WritePem(withKey, _dir.Combine("expired"));

        var (code, output, error) = await RunBuiltAsync(new Dictionary<string, string>(),
            $"--config={Config()}", $"--server_tls_cert_file={cert}", $"--server_tls_key_file={keyFile}", $"--server_tls_client_ca_files={_ca.WriteCaPem(_dir.Path)}", "--output=json");

        Assert.True(code == 1, $"exit {code}:\n{output}\n{error}");
        using var json = JsonDocument.Parse(output);
        Assert.Equal("fail", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("exit_code").GetInt32());
        var expiry = CheckLines.JsonLine(json, "certificates", "server certificate expiry");
        Assert.Equal("fail", expiry.GetProperty("status").GetString());
        Assert.Contains("'CN=expired.example'", expiry.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("expired", expiry.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("renew the certificate", expiry.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }
}
