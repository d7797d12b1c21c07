namespace Kedge.Common.Checks;

/// <summary>Where a certificate stands in time, by <see cref="CertificateExpiryRule"/>.</summary>
internal enum CertificateExpiryState
{
    /// <summary>Valid for <see cref="CertificateExpiryRule.WarnWithin"/> or longer.</summary>
    Valid,

    /// <summary>Valid, but expires within <see cref="CertificateExpiryRule.WarnWithin"/>: ⚠.</summary>
    ExpiresSoon,

    /// <summary>Expired: ✘.</summary>
    Expired,

    /// <summary>Not valid yet: ✘.</summary>
    NotYetValid,
}
