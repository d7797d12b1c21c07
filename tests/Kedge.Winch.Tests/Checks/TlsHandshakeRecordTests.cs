using Kedge.Testing;
using Kedge.Winch.Checks;

namespace Kedge.Winch.Tests.Checks;

/// <summary>The record owns the certificate copy it holds: a replaced copy and the last one are disposed.</summary>
public sealed class TlsHandshakeRecordTests
{
    [Fact]
    public void Certificate_ReplacedThenRecordDisposed_DisposesBothCopies()
    {
        using var ca = TestCertificateAuthority.Create();
        var first = ca.IssueServerCertificate("first.test");
        var second = ca.IssueServerCertificate("second.test");
        var record = new TlsHandshakeRecord { Certificate = first };

        record.Certificate = second;
        Assert.Equal(IntPtr.Zero, first.Handle);
        Assert.NotEqual(IntPtr.Zero, second.Handle);

        record.Dispose();
        Assert.Equal(IntPtr.Zero, second.Handle);
    }
}
