namespace Kedge.FunctionalTests.Faults;

/// <summary>What a <see cref="RawBackend"/> does once it has read a whole request.</summary>
internal enum RawBackendBehavior
{
    /// <summary>Closes the connection (FIN) without a byte of answer, after the configured delay.</summary>
    ReadThenClose,

    /// <summary>Never answers; the connection stays open until the backend is disposed.</summary>
    Hang,

    /// <summary>
    /// Starts a 200 answer (HTTP/1.1 declares 4 KiB) and sends 100 bytes of its body, then, once
    /// <see cref="RawBackend.AllowReset"/> is called, resets the connection (RST).
    /// </summary>
    ResetMidBody,
}
