namespace KvTiering.Store;

/// <summary>Where a block found in a lower tier goes.</summary>
public enum PromotionMode
{
    /// <summary>To the top tier, as SGLang HiCache loads a hit back to device memory.</summary>
    ToTop,

    /// <summary>One tier up per hit.</summary>
    OneLevel,

    /// <summary>Nowhere: blocks stay where they are until demoted or evicted.</summary>
    Never,
}
