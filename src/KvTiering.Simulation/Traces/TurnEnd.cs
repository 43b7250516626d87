namespace KvTiering.Simulation.Traces;

/// <summary>How a request's response ended, where a trace records it.</summary>
public enum TurnEnd : byte
{
    /// <summary>Not recorded.</summary>
    Unknown,

    /// <summary>The model called a tool: the agent returns when the tool does, usually within seconds.</summary>
    ToolCall,

    /// <summary>The model ended its turn: the session waits on its user, or is over.</summary>
    EndOfTurn,
}
