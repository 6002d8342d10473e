"""Safety screen content (placeholder until the clinical module lands)."""

DEFAULT_CONSENT_TEXT = "\n\n".join([
    'Acupuncture uses fine, sterile, single-use needles placed in the skin. Your practitioner '
    'may also use gentle electrical stimulation, moxa (a warming herb), or cupping, and will '
    'explain anything they plan to do.',
    'Most people feel little or nothing from the needles. Common effects are usually mild and '
    'short-lived: small bruises, a spot of bleeding, soreness where a needle was placed, '
    'tiredness, feeling light-headed or faint, or a temporary flare of your symptoms.',
    'Serious problems are rare. They include infection and, when needles are placed over the '
    'chest or upper back, a punctured lung.',
    'Please tell your practitioner if you are or might be pregnant, have a bleeding problem '
    'or take blood thinners, have a pacemaker or other implanted device, or feel faint at any '
    'time.',
    'You can ask questions and ask to stop at any time. Acupuncture works alongside your '
    'usual medical care and does not replace it: keep seeing your doctor about your health.'
])
