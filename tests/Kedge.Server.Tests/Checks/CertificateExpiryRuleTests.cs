using Kedge.Server.Dashboard;
using Kedge.Testing;

namespace Kedge.Server.Tests.Checks;

/// <summary>kedge check, winch check and the dashboard say a certificate's time left the same way (one rule).</summary>
public sealed class CertificateExpiryRuleTests
{
    [Fact]
    public async Task KedgeCheckAndDashboard_TwentyHoursLeft_BothSayTwentyHours()
    {
        using var setup = new KedgeCheckSetup();
        var notAfter = DateTimeOffset.UtcNow.AddHours(20).AddMinutes(30);
        var (cert, key) = setup.ServerCertificate("soon", DateTimeOffset.UtcNow.AddDays(-1), notAfter, "localhost");
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(cert, key);

        var dashboard = KedgeDashboard.Certificate("server", certificate, DateTimeOffset.UtcNow);
        var (_, output, _) = await KedgeCheckSetup.CheckAsync($"--server_tls_cert_file={cert}", $"--server_tls_key_file={key}", "--server_grpc_tls_port=0");

        Assert.Equal("expires in 20 hours: renew it", dashboard.Problem);
        var line = output.Split('\n').Single(l => l.TrimStart().StartsWith("⚠ server certificate expiry ", StringComparison.Ordinal));
        Assert.Contains("(in 20 hours), under 14 days", line, StringComparison.Ordinal);
    }
}
