namespace Kedge.FunctionalTests.Faults;

/// <summary>What a <see cref="RawBackend"/> does once it has read a whole request.</summary>
internal enum RawBackendBehavior
{
    /// <summary>Closes the connection (FIN) without a byte of answer, after the configured delay.</summary>
    ReadThenClose,

    /// <summary>Never answers; the connection stays open until the backend is disposed.</summary>
    Hang,

    /// <summary>Sends a 200 with a declared 4 KiB body, 100 bytes of it, then resets the connection (RST).</summary>
    ResetMidBody,
}
