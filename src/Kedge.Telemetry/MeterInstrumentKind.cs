namespace Kedge.Telemetry;

/// <summary>How <see cref="MeterBridge"/> exports an instrument's measurements.</summary>
internal enum MeterInstrumentKind
{
    /// <summary>A counter: each measurement is an increment.</summary>
    Counter,

    /// <summary>An observable counter: each measurement is the running total.</summary>
    CumulativeCounter,

    /// <summary>A gauge: each measurement is the current value.</summary>
    Gauge,

    /// <summary>An up-down counter: each measurement is an increment or a decrement.</summary>
    UpDownCounter,

    /// <summary>A histogram: each measurement is an observation.</summary>
    Histogram,
}
