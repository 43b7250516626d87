using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Workloads;

/// <summary>
/// A seeded synthetic agent workload: concurrent sessions that share a system-and-tools prefix, grow their context a
/// tool result or user message at a time, spawn sub-agents, end and are replaced, plus one-off long documents.
/// </summary>
/// <remarks>
/// Modelled on the agent traces this project targets (WEKA Claude Code sessions: long shared prefixes, contexts that
/// only grow, input:output in the hundreds). Block ids follow the chained-prefix rule: a session's next call starts
/// with every full block of its previous call's input and output, and ids are dense in first-seen order.
/// </remarks>
public static class SyntheticAgentWorkload
{
    /// <summary>Generates the workload; the same options (seed included) always give an identical trace.</summary>
    /// <param name="options">Workload settings; null means defaults.</param>
    /// <param name="name">The trace's name for reports.</param>
    /// <returns>The trace in time order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public static Trace Generate(SyntheticAgentOptions? options = null, string name = "synthetic-agent")
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= new SyntheticAgentOptions();
        options.Validate();
        return new SyntheticAgentGenerator(options).Run(name);
    }
}
