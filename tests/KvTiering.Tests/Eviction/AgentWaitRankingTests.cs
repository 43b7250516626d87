using KvTiering.Simulation.Policies;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Eviction.AgentTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>How the agent policy ranks sessions awaiting their user or a tool by learned wait times (rules 8, 12–15).</summary>
public sealed class AgentWaitRankingTests
{
    private readonly FakeTimeProvider _time = new();

    private TieredKvStore CreateStore(int capacity, EvictionPolicy? policy = null) => AgentStore(_time, capacity, policy);

    private static void Request(TieredKvStore store, int session, int length) => SessionRequest(store, session, length);

    private static BlockKey Block(int session, int i) => SessionBlock(session, i);

    /// <summary>A request of <paramref name="session"/> and the hint that ends its turn (with the response's length, if given).</summary>
    private static void Turn(TieredKvStore store, int session, int length, SessionHint hint, int? responseTokens = null)
    {
        Request(store, session, length);
        if (responseTokens is { } tokens)
        {
            store.Hint(session, hint, tokens);
        }
        else
        {
            store.Hint(session, hint);
        }
    }

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void Once_users_have_answered_a_session_awaiting_its_user_is_ranked_by_their_answer_time()
    {
        // Session 1's user answered after 20 s and 45 s; now it has waited 5 s. Session 2 has waited on a tool for
        // 60 s. The learned answer time says session 1 is back sooner, so session 2 makes room for session 3; without
        // learning, every session awaiting its user goes first whatever it has waited.
        foreach ((string policy, bool learns) in new[] { ("agent", true), ("agent:usergap=false", false) })
        {
            using TieredKvStore store = CreateStore(20, AgentPolicyVariants.FromName(policy));
            Turn(store, 1, 10, SessionHint.AwaitingUser);
            Advance(10);
            Turn(store, 2, 10, SessionHint.Paused);
            Advance(10);
            Turn(store, 1, 10, SessionHint.AwaitingUser);
            Advance(45);
            Turn(store, 1, 10, SessionHint.AwaitingUser);
            Advance(5);
            Request(store, 3, 10);

            Assert.Equal(learns, store.Contains(Block(1, 9)));
            Assert.NotEqual(learns, store.Contains(Block(2, 9)));
            Assert.True(store.Contains(Block(3, 9)), policy);
        }
    }

    [Fact]
    public void Once_tools_have_returned_a_session_paused_longest_goes_before_one_that_just_called_its_tool()
    {
        // Tools mostly return in 2 s, a few take 200 s. Session 1 (a fast session: 2 s between requests) has waited
        // on its tool for 40 s, so it is most likely on one of the long ones; session 2 (a slow one: 100 s) has just
        // called its tool. With the learned tool waits session 1 makes room for session 3; from each session's own
        // gap alone, session 2 does.
        foreach ((string policy, bool learns) in new[] { ("agent", true), ("agent:toolwait=false", false) })
        {
            using TieredKvStore store = CreateStore(25, AgentPolicyVariants.FromName(policy));
            for (int i = 0; i < 13; i++)
            {
                Turn(store, 9, 1, SessionHint.Paused);
                Advance(i < 10 ? 2 : 200);
            }

            Turn(store, 9, 1, SessionHint.Closed);
            Turn(store, 2, 10, SessionHint.Paused);
            Advance(58);
            Turn(store, 1, 10, SessionHint.Paused);
            Advance(2);
            Turn(store, 1, 10, SessionHint.Paused);
            Advance(40);
            Turn(store, 2, 10, SessionHint.Paused);
            Request(store, 3, 10);

            Assert.NotEqual(learns, store.Contains(Block(1, 9)));
            Assert.Equal(learns, store.Contains(Block(2, 9)));
            Assert.True(store.Contains(Block(1, 0)) && store.Contains(Block(2, 0)), $"{policy}: a prefix was lost");
            Assert.True(store.Contains(Block(3, 9)), policy);
        }
    }

    [Fact]
    public void Once_users_have_answered_the_user_away_longest_goes_first()
    {
        // Users answered in 10 s to 1,000 s (heavy tail: median about 90 s). Session 1 ended its turn 100 s ago,
        // session 2 just now: the longer a user has been away, the longer the rest of the wait, so session 1 goes.
        // Ranked by the typical answer time alone (about 330 s here: expected back then, soonest halfway there),
        // session 2 would.
        foreach ((string policy, bool learns) in new[] { ("agent", true), ("agent:userwait=false", false) })
        {
            using TieredKvStore store = CreateStore(25, AgentPolicyVariants.FromName(policy));
            for (int i = 0; i < 5; i++)
            {
                Turn(store, 9, 1, SessionHint.Paused); // a few quick tool calls first, so a new session's probation is short
                Advance(1);
            }

            foreach (double answer in new double[] { 1000, 600, 300, 10, 20, 30, 60, 100, 150, 40, 80, 200 })
            {
                Turn(store, 9, 1, SessionHint.AwaitingUser);
                Advance(answer);
            }

            Turn(store, 9, 1, SessionHint.Closed);
            Turn(store, 1, 10, SessionHint.AwaitingUser);
            Advance(100);
            Turn(store, 2, 10, SessionHint.AwaitingUser);
            Request(store, 3, 10);

            Assert.NotEqual(learns, store.Contains(Block(1, 9)));
            Assert.Equal(learns, store.Contains(Block(2, 9)));
            Assert.True(store.Contains(Block(3, 9)), policy);
        }
    }

    [Fact]
    public void A_user_who_answered_in_seconds_before_is_waited_for_longer_than_one_who_took_minutes()
    {
        // Session 2's user took 10 minutes to answer each time, session 1's 5 s. Session 1 ended its turn 20 s before
        // session 2: by everyone's answer times alone (heavy tail) it is the one away longer and goes; rescaled to
        // each session's own answers (ownuser), session 2's user, slow at the keyboard, is expected back last.
        foreach ((string policy, bool own) in new[] { ("agent:ownuser=4", true), ("agent", false) })
        {
            using TieredKvStore store = CreateStore(25, AgentPolicyVariants.FromName(policy));
            for (int i = 0; i < 5; i++)
            {
                Turn(store, 9, 1, SessionHint.Paused);
                Advance(1);
            }

            foreach (double answer in new double[] { 1000, 600, 300, 10, 20, 30, 60, 100, 150, 40, 80, 200 })
            {
                Turn(store, 9, 1, SessionHint.AwaitingUser);
                Advance(answer);
            }

            Turn(store, 9, 1, SessionHint.Closed);
            foreach ((int session, double answer) in new[] { (2, 600.0), (2, 600.0), (2, 600.0), (1, 5.0), (1, 5.0), (1, 5.0) })
            {
                Turn(store, session, 10, SessionHint.AwaitingUser);
                Advance(answer);
            }

            Turn(store, 1, 10, SessionHint.AwaitingUser);
            Advance(20);
            Turn(store, 2, 10, SessionHint.AwaitingUser);
            Request(store, 3, 10);

            Assert.Equal(own, store.Contains(Block(1, 9)));
            Assert.NotEqual(own, store.Contains(Block(2, 9)));
            Assert.True(store.Contains(Block(3, 9)), policy);
        }
    }

    [Fact]
    public void A_reply_to_the_users_own_message_is_ranked_by_such_turns_answer_times()
    {
        // Users answered replies to their own message within 5 s and the ends of agentic runs (turns that followed a
        // tool result) after 10 minutes. Session 1's reply ended 20 s ago, session 2's run just now. Learned per kind
        // of turn (userinput), session 2's user is expected back last and goes; from everyone's answer times
        // together, session 1, waited on longest, does (past the quick answers only the slow ones are left).
        foreach ((string policy, bool kinds) in new[] { ("agent", true), ("agent:userinput=false", false) })
        {
            using TieredKvStore store = CreateStore(25, AgentPolicyVariants.FromName(policy));
            for (int i = 0; i < 12; i++)
            {
                if (i < 10)
                {
                    Turn(store, 9, 1, SessionHint.Paused);
                    Advance(1);
                    Turn(store, 9, 1, SessionHint.AwaitingUser); // follows a tool result: the end of an agentic run
                    Advance(600);
                }

                Turn(store, 9, 1, SessionHint.AwaitingUser); // follows the user's answer: a reply to the user's own message
                Advance(5);
            }

            Turn(store, 9, 1, SessionHint.Closed);
            Turn(store, 1, 10, SessionHint.AwaitingUser);
            Advance(1);
            Turn(store, 1, 10, SessionHint.AwaitingUser);
            Advance(20);
            Turn(store, 2, 10, SessionHint.Paused);
            Advance(1);
            Turn(store, 2, 10, SessionHint.AwaitingUser); // follows a tool result
            Request(store, 3, 10);

            Assert.Equal(kinds, store.Contains(Block(1, 9)));
            Assert.NotEqual(kinds, store.Contains(Block(2, 9)));
            Assert.True(store.Contains(Block(3, 9)), policy);
        }
    }

    [Fact]
    public void A_turn_that_ended_in_a_brief_response_is_ranked_by_brief_turns_answer_times()
    {
        // Users answered brief responses (20 tokens) within 5 s and long ones (800 tokens) after 10 minutes, the
        // server telling each hint's response length. Session 1's brief turn ended 20 s ago, session 2's long one
        // just now: learned per length (brief), session 2's user is expected back last and goes; from everyone's
        // answer times together, session 1 does.
        foreach ((string policy, bool brief) in new[] { ("agent", true), ("agent:brief=0", false) })
        {
            using TieredKvStore store = CreateStore(25, AgentPolicyVariants.FromName(policy));
            for (int i = 0; i < 12; i++)
            {
                if (i < 10)
                {
                    Turn(store, 9, 1, SessionHint.AwaitingUser, responseTokens: 800);
                    Advance(600);
                }

                Turn(store, 9, 1, SessionHint.AwaitingUser, responseTokens: 20);
                Advance(5);
            }

            Turn(store, 9, 1, SessionHint.Closed);
            Turn(store, 1, 10, SessionHint.AwaitingUser, responseTokens: 20);
            Advance(20);
            Turn(store, 2, 10, SessionHint.AwaitingUser, responseTokens: 800);
            Request(store, 3, 10);

            Assert.Equal(brief, store.Contains(Block(1, 9)));
            Assert.NotEqual(brief, store.Contains(Block(2, 9)));
            Assert.True(store.Contains(Block(3, 9)), policy);
        }
    }

    [Fact]
    public void A_hint_with_a_negative_response_length_is_rejected_by_its_value()
    {
        using TieredKvStore store = CreateStore(4);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => store.Hint(1, SessionHint.AwaitingUser, -3));
        Assert.Equal("responseTokens", ex.ParamName);
        Assert.Contains("-3", ex.Message, StringComparison.Ordinal);
    }
}
