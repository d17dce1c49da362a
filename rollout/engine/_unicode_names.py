"""Unicode property names accepted by Rust's `regex` crate, mapped to RE2 spellings.

Derived from the Unicode Character Database property (value) aliases as tabulated by the Rust
`regex-syntax` crate (Unicode 14). Keys are names normalized per UAX44-LM3 (lowercase; no spaces, `_`
or `-`; no leading "is").
"""

# normalized general-category alias -> RE2 category code
_GENERAL_CATEGORIES = """
    c:C casedletter:Lc cc:Cc cf:Cf closepunctuation:Pe cn:Cn cntrl:Cc co:Co combiningmark:M
    connectorpunctuation:Pc control:Cc cs:Cs currencysymbol:Sc dashpunctuation:Pd decimalnumber:Nd
    digit:Nd enclosingmark:Me finalpunctuation:Pf format:Cf initialpunctuation:Pi l:L lc:Lc letter:L
    letternumber:Nl lineseparator:Zl ll:Ll lm:Lm lo:Lo lowercaseletter:Ll lt:Lt lu:Lu m:M mark:M
    mathsymbol:Sm mc:Mc me:Me mn:Mn modifierletter:Lm modifiersymbol:Sk n:N nd:Nd nl:Nl no:No
    nonspacingmark:Mn number:N openpunctuation:Ps other:C otherletter:Lo othernumber:No
    otherpunctuation:Po othersymbol:So p:P paragraphseparator:Zp pc:Pc pd:Pd pe:Pe pf:Pf pi:Pi po:Po
    privateuse:Co ps:Ps punct:P punctuation:P s:S sc:Sc separator:Z sk:Sk sm:Sm so:So
    spaceseparator:Zs spacingmark:Mc surrogate:Cs symbol:S titlecaseletter:Lt unassigned:Cn
    uppercaseletter:Lu z:Z zl:Zl zp:Zp zs:Zs
"""

# normalized script alias -> RE2 script name
_SCRIPTS = """
    adlam:Adlam adlm:Adlam aghb:Caucasian_Albanian ahom:Ahom
    anatolianhieroglyphs:Anatolian_Hieroglyphs arab:Arabic arabic:Arabic armenian:Armenian
    armi:Imperial_Aramaic armn:Armenian avestan:Avestan avst:Avestan bali:Balinese balinese:Balinese
    bamu:Bamum bamum:Bamum bass:Bassa_Vah bassavah:Bassa_Vah batak:Batak batk:Batak beng:Bengali
    bengali:Bengali bhaiksuki:Bhaiksuki bhks:Bhaiksuki bopo:Bopomofo bopomofo:Bopomofo brah:Brahmi
    brahmi:Brahmi brai:Braille braille:Braille bugi:Buginese buginese:Buginese buhd:Buhid
    buhid:Buhid cakm:Chakma canadianaboriginal:Canadian_Aboriginal cans:Canadian_Aboriginal
    cari:Carian carian:Carian caucasianalbanian:Caucasian_Albanian chakma:Chakma cham:Cham
    cher:Cherokee cherokee:Cherokee chorasmian:Chorasmian chrs:Chorasmian common:Common copt:Coptic
    coptic:Coptic cpmn:Cypro_Minoan cprt:Cypriot cuneiform:Cuneiform cypriot:Cypriot
    cyprominoan:Cypro_Minoan cyrillic:Cyrillic cyrl:Cyrillic deseret:Deseret deva:Devanagari
    devanagari:Devanagari diak:Dives_Akuru divesakuru:Dives_Akuru dogr:Dogra dogra:Dogra
    dsrt:Deseret dupl:Duployan duployan:Duployan egyp:Egyptian_Hieroglyphs
    egyptianhieroglyphs:Egyptian_Hieroglyphs elba:Elbasan elbasan:Elbasan elym:Elymaic
    elymaic:Elymaic ethi:Ethiopic ethiopic:Ethiopic geor:Georgian georgian:Georgian glag:Glagolitic
    glagolitic:Glagolitic gong:Gunjala_Gondi gonm:Masaram_Gondi goth:Gothic gothic:Gothic
    gran:Grantha grantha:Grantha greek:Greek grek:Greek gujarati:Gujarati gujr:Gujarati
    gunjalagondi:Gunjala_Gondi gurmukhi:Gurmukhi guru:Gurmukhi han:Han hang:Hangul hangul:Hangul
    hani:Han hanifirohingya:Hanifi_Rohingya hano:Hanunoo hanunoo:Hanunoo hatr:Hatran hatran:Hatran
    hebr:Hebrew hebrew:Hebrew hira:Hiragana hiragana:Hiragana hluw:Anatolian_Hieroglyphs
    hmng:Pahawh_Hmong hmnp:Nyiakeng_Puachue_Hmong hung:Old_Hungarian
    imperialaramaic:Imperial_Aramaic inherited:Inherited inscriptionalpahlavi:Inscriptional_Pahlavi
    inscriptionalparthian:Inscriptional_Parthian ital:Old_Italic java:Javanese javanese:Javanese
    kaithi:Kaithi kali:Kayah_Li kana:Katakana kannada:Kannada katakana:Katakana kayahli:Kayah_Li
    khar:Kharoshthi kharoshthi:Kharoshthi khitansmallscript:Khitan_Small_Script khmer:Khmer
    khmr:Khmer khoj:Khojki khojki:Khojki khudawadi:Khudawadi kits:Khitan_Small_Script knda:Kannada
    kthi:Kaithi lana:Tai_Tham lao:Lao laoo:Lao latin:Latin latn:Latin lepc:Lepcha lepcha:Lepcha
    limb:Limbu limbu:Limbu lina:Linear_A linb:Linear_B lineara:Linear_A linearb:Linear_B lisu:Lisu
    lyci:Lycian lycian:Lycian lydi:Lydian lydian:Lydian mahajani:Mahajani mahj:Mahajani maka:Makasar
    makasar:Makasar malayalam:Malayalam mand:Mandaic mandaic:Mandaic mani:Manichaean
    manichaean:Manichaean marc:Marchen marchen:Marchen masaramgondi:Masaram_Gondi
    medefaidrin:Medefaidrin medf:Medefaidrin meeteimayek:Meetei_Mayek mend:Mende_Kikakui
    mendekikakui:Mende_Kikakui merc:Meroitic_Cursive mero:Meroitic_Hieroglyphs
    meroiticcursive:Meroitic_Cursive meroitichieroglyphs:Meroitic_Hieroglyphs miao:Miao
    mlym:Malayalam modi:Modi mong:Mongolian mongolian:Mongolian mro:Mro mroo:Mro mtei:Meetei_Mayek
    mult:Multani multani:Multani myanmar:Myanmar mymr:Myanmar nabataean:Nabataean nand:Nandinagari
    nandinagari:Nandinagari narb:Old_North_Arabian nbat:Nabataean newa:Newa newtailue:New_Tai_Lue
    nko:Nko nkoo:Nko nshu:Nushu nushu:Nushu nyiakengpuachuehmong:Nyiakeng_Puachue_Hmong ogam:Ogham
    ogham:Ogham olchiki:Ol_Chiki olck:Ol_Chiki oldhungarian:Old_Hungarian olditalic:Old_Italic
    oldnortharabian:Old_North_Arabian oldpermic:Old_Permic oldpersian:Old_Persian
    oldsogdian:Old_Sogdian oldsoutharabian:Old_South_Arabian oldturkic:Old_Turkic
    olduyghur:Old_Uyghur oriya:Oriya orkh:Old_Turkic orya:Oriya osage:Osage osge:Osage osma:Osmanya
    osmanya:Osmanya ougr:Old_Uyghur pahawhhmong:Pahawh_Hmong palm:Palmyrene palmyrene:Palmyrene
    pauc:Pau_Cin_Hau paucinhau:Pau_Cin_Hau perm:Old_Permic phag:Phags_Pa phagspa:Phags_Pa
    phli:Inscriptional_Pahlavi phlp:Psalter_Pahlavi phnx:Phoenician phoenician:Phoenician plrd:Miao
    prti:Inscriptional_Parthian psalterpahlavi:Psalter_Pahlavi qaac:Coptic qaai:Inherited
    rejang:Rejang rjng:Rejang rohg:Hanifi_Rohingya runic:Runic runr:Runic samaritan:Samaritan
    samr:Samaritan sarb:Old_South_Arabian saur:Saurashtra saurashtra:Saurashtra sgnw:SignWriting
    sharada:Sharada shavian:Shavian shaw:Shavian shrd:Sharada sidd:Siddham siddham:Siddham
    signwriting:SignWriting sind:Khudawadi sinh:Sinhala sinhala:Sinhala sogd:Sogdian sogdian:Sogdian
    sogo:Old_Sogdian sora:Sora_Sompeng sorasompeng:Sora_Sompeng soyo:Soyombo soyombo:Soyombo
    sund:Sundanese sundanese:Sundanese sylo:Syloti_Nagri sylotinagri:Syloti_Nagri syrc:Syriac
    syriac:Syriac tagalog:Tagalog tagb:Tagbanwa tagbanwa:Tagbanwa taile:Tai_Le taitham:Tai_Tham
    taiviet:Tai_Viet takr:Takri takri:Takri tale:Tai_Le talu:New_Tai_Lue tamil:Tamil taml:Tamil
    tang:Tangut tangsa:Tangsa tangut:Tangut tavt:Tai_Viet telu:Telugu telugu:Telugu tfng:Tifinagh
    tglg:Tagalog thaa:Thaana thaana:Thaana thai:Thai tibetan:Tibetan tibt:Tibetan tifinagh:Tifinagh
    tirh:Tirhuta tirhuta:Tirhuta tnsa:Tangsa toto:Toto ugar:Ugaritic ugaritic:Ugaritic vai:Vai
    vaii:Vai vith:Vithkuqi vithkuqi:Vithkuqi wancho:Wancho wara:Warang_Citi warangciti:Warang_Citi
    wcho:Wancho xpeo:Old_Persian xsux:Cuneiform yezi:Yezidi yezidi:Yezidi yi:Yi yiii:Yi
    zanabazarsquare:Zanabazar_Square zanb:Zanabazar_Square zinh:Inherited zyyy:Common
"""

# every normalized property name Rust knows; a bare `\p{name}` that is one of these is a property, not a value
_PROPERTY_NAMES = """
    age ahex alpha alphabetic asciihexdigit bc bidic bidiclass bidicontrol bidim bidimirrored
    bidimirroringglyph bidipairedbracket bidipairedbrackettype blk block bmg bpb bpt
    canonicalcombiningclass cased casefolding caseignorable ccc ce cf changeswhencasefolded
    changeswhencasemapped changeswhenlowercased changeswhennfkccasefolded changeswhentitlecased
    changeswhenuppercased ci cjkaccountingnumeric cjkcompatibilityvariant cjkiicore cjkirggsource
    cjkirghsource cjkirgjsource cjkirgkpsource cjkirgksource cjkirgmsource cjkirgssource
    cjkirgtsource cjkirguksource cjkirgusource cjkirgvsource cjkothernumeric cjkprimarynumeric
    cjkrsunicode compex compositionexclusion cwcf cwcm cwkcf cwl cwt cwu dash decompositionmapping
    decompositiontype defaultignorablecodepoint dep deprecated di dia diacritic dm dt ea
    eastasianwidth ebase ecomp emod emoji emojicomponent emojimodifier emojimodifierbase
    emojipresentation epres equideo equivalentunifiedideograph expandsonnfc expandsonnfd
    expandsonnfkc expandsonnfkd ext extendedpictographic extender extpict fcnfkc fcnfkcclosure
    fullcompositionexclusion gc gcb generalcategory graphemebase graphemeclusterbreak graphemeextend
    graphemelink grbase grext grlink hangulsyllabletype hex hexdigit hst hyphen idc idcontinue ideo
    ideographic ids idsb idsbinaryoperator idst idstart idstrinaryoperator indicpositionalcategory
    indicsyllabiccategory inpc insc isc jamoshortname jg joinc joincontrol joininggroup joiningtype
    jsn jt kaccountingnumeric kcompatibilityvariant kiicore kirggsource kirghsource kirgjsource
    kirgkpsource kirgksource kirgmsource kirgssource kirgtsource kirguksource kirgusource
    kirgvsource kothernumeric kprimarynumeric krsunicode lb lc linebreak loe logicalorderexception
    lower lowercase lowercasemapping math na na1 name namealias nchar nfcqc nfcquickcheck nfdqc
    nfdquickcheck nfkccasefold nfkccf nfkcqc nfkcquickcheck nfkdqc nfkdquickcheck
    noncharactercodepoint nt numerictype numericvalue nv oalpha ocomment odi ogrext oidc oids olower
    omath otheralphabetic otherdefaultignorablecodepoint othergraphemeextend otheridcontinue
    otheridstart otherlowercase othermath otheruppercase oupper patsyn patternsyntax
    patternwhitespace patws pcm prependedconcatenationmark qmark quotationmark radical
    regionalindicator ri sb sc scf script scriptextensions scx sd sentencebreak sentenceterminal sfc
    simplecasefolding simplelowercasemapping simpletitlecasemapping simpleuppercasemapping slc
    softdotted space stc sterm suc tc term terminalpunctuation titlecasemapping uc uideo
    unicode1name unicoderadicalstroke unifiedideograph upper uppercase uppercasemapping urs
    variationselector verticalorientation vo vs wb whitespace wordbreak wspace xidc xidcontinue xids
    xidstart xonfc xonfd xonfkc xonfkd
"""


def _pairs(table: str) -> dict[str, str]:
    return dict(item.split(":", 1) for item in table.split())


GENERAL_CATEGORIES: dict[str, str] = _pairs(_GENERAL_CATEGORIES)
SCRIPTS: dict[str, str] = _pairs(_SCRIPTS)
PROPERTY_NAMES: frozenset[str] = frozenset(_PROPERTY_NAMES.split())
