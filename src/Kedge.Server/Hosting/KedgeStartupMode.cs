namespace Kedge.Server.Hosting;

/// <summary>Why kedge's configuration is read (<see cref="KedgeProgram.ReadStartup"/>): what is checked differs a little.</summary>
internal enum KedgeStartupMode
{
    /// <summary>A start: every check, cluster access last (only when nothing else failed).</summary>
    Start,

    /// <summary><c>--print-config</c>: no listener certificate required, no cluster access.</summary>
    PrintConfig,

    /// <summary>
    /// <c>kedge check</c>: the TLS files are left to the certificate checks (which say more about them), and cluster
    /// access is checked whatever else failed.
    /// </summary>
    Check,
}
