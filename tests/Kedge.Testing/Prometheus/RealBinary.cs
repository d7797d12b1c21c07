using Xunit.Sdk;

namespace Kedge.Testing.Prometheus;

/// <summary>Where the Debian <c>prometheus</c> package puts its programs, and the failure when it is missing.</summary>
public static class RealBinary
{
    public const string Prometheus = "/usr/bin/prometheus";
    public const string Promtool = "/usr/bin/promtool";

    /// <summary>
    /// Fails (never skips) when <paramref name="path"/> is missing: CI installs the package, so a missing binary is a
    /// broken machine, and a skipped real-part test would look green while proving nothing.
    /// </summary>
    public static void Require(string path)
    {
        if (!File.Exists(path))
        {
            throw new XunitException(
                $"{path} is missing: this test runs a real Prometheus. Install the Debian package 'prometheus' "
                + "(DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus); .ci/run installs it when it is absent.");
        }
    }
}
