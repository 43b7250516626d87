namespace AgentServer.Serving;

/// <summary>The last few requests, newest first.</summary>
internal sealed class RequestLog(int capacity)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<RequestRecord> _records = new();

    public void Add(RequestRecord record)
    {
        lock (_gate)
        {
            _records.AddFirst(record);
            if (_records.Count > capacity)
            {
                _records.RemoveLast();
            }
        }
    }

    public RequestRecord[] Recent()
    {
        lock (_gate)
        {
            return [.. _records];
        }
    }
}
