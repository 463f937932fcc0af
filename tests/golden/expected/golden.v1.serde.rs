impl serde::Serialize for Genre {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        let variant = match self {
            Self::Unspecified => "GENRE_UNSPECIFIED",
            Self::Fiction => "GENRE_FICTION",
            Self::History => "GENRE_HISTORY",
        };
        serializer.serialize_str(variant)
    }
}
impl<'de> serde::Deserialize<'de> for Genre {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "GENRE_UNSPECIFIED",
            "GENRE_FICTION",
            "GENRE_HISTORY",
        ];

        struct GeneratedVisitor;

        impl serde::de::Visitor<'_> for GeneratedVisitor {
            type Value = Genre;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(formatter, "expected one of: {:?}", &FIELDS)
            }

            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok().or_else(|| Some(Genre::default())))
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Signed(v), &self)
                    })
            }

            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok().or_else(|| Some(Genre::default())))
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Unsigned(v), &self)
                    })
            }

            fn visit_str<E>(self, value: &str) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                match value {
                    "GENRE_UNSPECIFIED" => Ok(Genre::Unspecified),
                    "GENRE_FICTION" => Ok(Genre::Fiction),
                    "GENRE_HISTORY" => Ok(Genre::History),
                    _ => Ok(Genre::default()),
                }
            }
        }
        deserializer.deserialize_any(GeneratedVisitor)
    }
}
impl serde::Serialize for GetShelfRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.name.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("golden.v1.GetShelfRequest", len)?;
        if !self.name.is_empty() {
            struct_ser.serialize_field("name", &self.name)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for GetShelfRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "name",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Name,
            __SkipField__,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl serde::de::Visitor<'_> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "name" => Ok(GeneratedField::Name),
                            _ => Ok(GeneratedField::__SkipField__),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = GetShelfRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct golden.v1.GetShelfRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<GetShelfRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut name__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Name => {
                            if name__.is_some() {
                                return Err(serde::de::Error::duplicate_field("name"));
                            }
                            name__ = Some(map_.next_value::<::std::option::Option<_>>()?.unwrap_or_default());
                        }
                        GeneratedField::__SkipField__ => {
                            let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(GetShelfRequest {
                    name: name__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("golden.v1.GetShelfRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for Scalars {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.i32 != 0 {
            len += 1;
        }
        if self.i64 != 0 {
            len += 1;
        }
        if self.u32 != 0 {
            len += 1;
        }
        if self.u64 != 0 {
            len += 1;
        }
        if self.s32 != 0 {
            len += 1;
        }
        if self.s64 != 0 {
            len += 1;
        }
        if self.f32 != 0 {
            len += 1;
        }
        if self.f64 != 0 {
            len += 1;
        }
        if self.sf32 != 0 {
            len += 1;
        }
        if self.sf64 != 0 {
            len += 1;
        }
        if self.flt != 0. {
            len += 1;
        }
        if self.dbl != 0. {
            len += 1;
        }
        if self.flag {
            len += 1;
        }
        if !self.text.is_empty() {
            len += 1;
        }
        if !self.data.is_empty() {
            len += 1;
        }
        if self.genre != 0 {
            len += 1;
        }
        if !self.many_i64.is_empty() {
            len += 1;
        }
        if !self.genres.is_empty() {
            len += 1;
        }
        if !self.labels.is_empty() {
            len += 1;
        }
        if !self.shelves_by_number.is_empty() {
            len += 1;
        }
        if self.at.is_some() {
            len += 1;
        }
        if self.took.is_some() {
            len += 1;
        }
        if self.mask.is_some() {
            len += 1;
        }
        if self.detail.is_some() {
            len += 1;
        }
        if self.maybe.is_some() {
            len += 1;
        }
        if self.choice.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("golden.v1.Scalars", len)?;
        if self.i32 != 0 {
            struct_ser.serialize_field("i32", &self.i32)?;
        }
        if self.i64 != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("i64", ToString::to_string(&self.i64).as_str())?;
        }
        if self.u32 != 0 {
            struct_ser.serialize_field("u32", &self.u32)?;
        }
        if self.u64 != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("u64", ToString::to_string(&self.u64).as_str())?;
        }
        if self.s32 != 0 {
            struct_ser.serialize_field("s32", &self.s32)?;
        }
        if self.s64 != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("s64", ToString::to_string(&self.s64).as_str())?;
        }
        if self.f32 != 0 {
            struct_ser.serialize_field("f32", &self.f32)?;
        }
        if self.f64 != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("f64", ToString::to_string(&self.f64).as_str())?;
        }
        if self.sf32 != 0 {
            struct_ser.serialize_field("sf32", &self.sf32)?;
        }
        if self.sf64 != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("sf64", ToString::to_string(&self.sf64).as_str())?;
        }
        if self.flt != 0. {
            struct_ser.serialize_field("flt", &self.flt)?;
        }
        if self.dbl != 0. {
            struct_ser.serialize_field("dbl", &self.dbl)?;
        }
        if self.flag {
            struct_ser.serialize_field("flag", &self.flag)?;
        }
        if !self.text.is_empty() {
            struct_ser.serialize_field("text", &self.text)?;
        }
        if !self.data.is_empty() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("data", pbjson::private::base64::encode(&self.data).as_str())?;
        }
        if self.genre != 0 {
            let v = OpenEnum::<Genre>(self.genre, ::std::marker::PhantomData);
            struct_ser.serialize_field("genre", &v)?;
        }
        if !self.many_i64.is_empty() {
            struct_ser.serialize_field("manyI64", &self.many_i64.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        }
        if !self.genres.is_empty() {
            let v = self.genres.iter().cloned().map(|v| {
                Genre::try_from(v)
                    .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", v)))
                }).collect::<std::result::Result<Vec<_>, _>>()?;
            struct_ser.serialize_field("genres", &v)?;
        }
        if !self.labels.is_empty() {
            struct_ser.serialize_field("labels", &self.labels)?;
        }
        if !self.shelves_by_number.is_empty() {
            struct_ser.serialize_field("shelvesByNumber", &self.shelves_by_number)?;
        }
        if let Some(v) = self.at.as_ref() {
            struct_ser.serialize_field("at", v)?;
        }
        if let Some(v) = self.took.as_ref() {
            struct_ser.serialize_field("took", v)?;
        }
        if let Some(v) = self.mask.as_ref() {
            struct_ser.serialize_field("mask", v)?;
        }
        if let Some(v) = self.detail.as_ref() {
            struct_ser.serialize_field("detail", v)?;
        }
        if let Some(v) = self.maybe.as_ref() {
            struct_ser.serialize_field("maybe", v)?;
        }
        if let Some(v) = self.choice.as_ref() {
            match v {
                scalars::Choice::ChoiceText(v) => {
                    struct_ser.serialize_field("choiceText", v)?;
                }
                scalars::Choice::ChoiceShelf(v) => {
                    struct_ser.serialize_field("choiceShelf", v)?;
                }
            }
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for Scalars {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "i32",
            "i64",
            "u32",
            "u64",
            "s32",
            "s64",
            "f32",
            "f64",
            "sf32",
            "sf64",
            "flt",
            "dbl",
            "flag",
            "text",
            "data",
            "genre",
            "many_i64",
            "manyI64",
            "genres",
            "labels",
            "shelves_by_number",
            "shelvesByNumber",
            "at",
            "took",
            "mask",
            "detail",
            "maybe",
            "choice_text",
            "choiceText",
            "choice_shelf",
            "choiceShelf",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            I32,
            I64,
            U32,
            U64,
            S32,
            S64,
            F32,
            F64,
            Sf32,
            Sf64,
            Flt,
            Dbl,
            Flag,
            Text,
            Data,
            Genre,
            ManyI64,
            Genres,
            Labels,
            ShelvesByNumber,
            At,
            Took,
            Mask,
            Detail,
            Maybe,
            ChoiceText,
            ChoiceShelf,
            __SkipField__,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl serde::de::Visitor<'_> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "i32" => Ok(GeneratedField::I32),
                            "i64" => Ok(GeneratedField::I64),
                            "u32" => Ok(GeneratedField::U32),
                            "u64" => Ok(GeneratedField::U64),
                            "s32" => Ok(GeneratedField::S32),
                            "s64" => Ok(GeneratedField::S64),
                            "f32" => Ok(GeneratedField::F32),
                            "f64" => Ok(GeneratedField::F64),
                            "sf32" => Ok(GeneratedField::Sf32),
                            "sf64" => Ok(GeneratedField::Sf64),
                            "flt" => Ok(GeneratedField::Flt),
                            "dbl" => Ok(GeneratedField::Dbl),
                            "flag" => Ok(GeneratedField::Flag),
                            "text" => Ok(GeneratedField::Text),
                            "data" => Ok(GeneratedField::Data),
                            "genre" => Ok(GeneratedField::Genre),
                            "manyI64" | "many_i64" => Ok(GeneratedField::ManyI64),
                            "genres" => Ok(GeneratedField::Genres),
                            "labels" => Ok(GeneratedField::Labels),
                            "shelvesByNumber" | "shelves_by_number" => Ok(GeneratedField::ShelvesByNumber),
                            "at" => Ok(GeneratedField::At),
                            "took" => Ok(GeneratedField::Took),
                            "mask" => Ok(GeneratedField::Mask),
                            "detail" => Ok(GeneratedField::Detail),
                            "maybe" => Ok(GeneratedField::Maybe),
                            "choiceText" | "choice_text" => Ok(GeneratedField::ChoiceText),
                            "choiceShelf" | "choice_shelf" => Ok(GeneratedField::ChoiceShelf),
                            _ => Ok(GeneratedField::__SkipField__),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = Scalars;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct golden.v1.Scalars")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<Scalars, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut i32__ = None;
                let mut i64__ = None;
                let mut u32__ = None;
                let mut u64__ = None;
                let mut s32__ = None;
                let mut s64__ = None;
                let mut f32__ = None;
                let mut f64__ = None;
                let mut sf32__ = None;
                let mut sf64__ = None;
                let mut flt__ = None;
                let mut dbl__ = None;
                let mut flag__ = None;
                let mut text__ = None;
                let mut data__ = None;
                let mut genre__ = None;
                let mut many_i64__ = None;
                let mut genres__ = None;
                let mut labels__ = None;
                let mut shelves_by_number__ = None;
                let mut at__ = None;
                let mut took__ = None;
                let mut mask__ = None;
                let mut detail__ = None;
                let mut maybe__ = None;
                let mut choice__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::I32 => {
                            if i32__.is_some() {
                                return Err(serde::de::Error::duplicate_field("i32"));
                            }
                            i32__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::I64 => {
                            if i64__.is_some() {
                                return Err(serde::de::Error::duplicate_field("i64"));
                            }
                            i64__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::U32 => {
                            if u32__.is_some() {
                                return Err(serde::de::Error::duplicate_field("u32"));
                            }
                            u32__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::U64 => {
                            if u64__.is_some() {
                                return Err(serde::de::Error::duplicate_field("u64"));
                            }
                            u64__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::S32 => {
                            if s32__.is_some() {
                                return Err(serde::de::Error::duplicate_field("s32"));
                            }
                            s32__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::S64 => {
                            if s64__.is_some() {
                                return Err(serde::de::Error::duplicate_field("s64"));
                            }
                            s64__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::F32 => {
                            if f32__.is_some() {
                                return Err(serde::de::Error::duplicate_field("f32"));
                            }
                            f32__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::F64 => {
                            if f64__.is_some() {
                                return Err(serde::de::Error::duplicate_field("f64"));
                            }
                            f64__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::Sf32 => {
                            if sf32__.is_some() {
                                return Err(serde::de::Error::duplicate_field("sf32"));
                            }
                            sf32__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::Sf64 => {
                            if sf64__.is_some() {
                                return Err(serde::de::Error::duplicate_field("sf64"));
                            }
                            sf64__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::Flt => {
                            if flt__.is_some() {
                                return Err(serde::de::Error::duplicate_field("flt"));
                            }
                            flt__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::Dbl => {
                            if dbl__.is_some() {
                                return Err(serde::de::Error::duplicate_field("dbl"));
                            }
                            dbl__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::Flag => {
                            if flag__.is_some() {
                                return Err(serde::de::Error::duplicate_field("flag"));
                            }
                            flag__ = Some(map_.next_value::<::std::option::Option<_>>()?.unwrap_or_default());
                        }
                        GeneratedField::Text => {
                            if text__.is_some() {
                                return Err(serde::de::Error::duplicate_field("text"));
                            }
                            text__ = Some(map_.next_value::<::std::option::Option<_>>()?.unwrap_or_default());
                        }
                        GeneratedField::Data => {
                            if data__.is_some() {
                                return Err(serde::de::Error::duplicate_field("data"));
                            }
                            data__ = 
                                Some(map_.next_value::<::std::option::Option<::pbjson::private::BytesDeserialize<_>>>()?.map(|x| x.0).unwrap_or_default())
                            ;
                        }
                        GeneratedField::Genre => {
                            if genre__.is_some() {
                                return Err(serde::de::Error::duplicate_field("genre"));
                            }
                            genre__ = Some(map_.next_value::<::std::option::Option<OpenEnum<Genre>>>()?.map(|x| x.0).unwrap_or_default() as i32);
                        }
                        GeneratedField::ManyI64 => {
                            if many_i64__.is_some() {
                                return Err(serde::de::Error::duplicate_field("manyI64"));
                            }
                            many_i64__ = 
                                Some(map_.next_value::<::std::option::Option<Vec<::pbjson::private::NumberDeserialize<_>>>>()?.unwrap_or_default()
                                    .into_iter().map(|x| x.0).collect())
                            ;
                        }
                        GeneratedField::Genres => {
                            if genres__.is_some() {
                                return Err(serde::de::Error::duplicate_field("genres"));
                            }
                            genres__ = Some(map_.next_value::<::std::option::Option<Vec<Genre>>>()?.unwrap_or_default().into_iter().map(|x| x as i32).collect());
                        }
                        GeneratedField::Labels => {
                            if labels__.is_some() {
                                return Err(serde::de::Error::duplicate_field("labels"));
                            }
                            labels__ = Some(
                                map_.next_value::<::std::option::Option<std::collections::HashMap<_, _>>>()?.unwrap_or_default()
                            );
                        }
                        GeneratedField::ShelvesByNumber => {
                            if shelves_by_number__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shelvesByNumber"));
                            }
                            shelves_by_number__ = Some(
                                map_.next_value::<::std::option::Option<std::collections::HashMap<::pbjson::private::NumberDeserialize<i64>, _>>>()?.unwrap_or_default()
                                    .into_iter().map(|(k,v)| (k.0, v)).collect()
                            );
                        }
                        GeneratedField::At => {
                            if at__.is_some() {
                                return Err(serde::de::Error::duplicate_field("at"));
                            }
                            at__ = map_.next_value()?;
                        }
                        GeneratedField::Took => {
                            if took__.is_some() {
                                return Err(serde::de::Error::duplicate_field("took"));
                            }
                            took__ = map_.next_value()?;
                        }
                        GeneratedField::Mask => {
                            if mask__.is_some() {
                                return Err(serde::de::Error::duplicate_field("mask"));
                            }
                            mask__ = map_.next_value()?;
                        }
                        GeneratedField::Detail => {
                            if detail__.is_some() {
                                return Err(serde::de::Error::duplicate_field("detail"));
                            }
                            detail__ = map_.next_value()?;
                        }
                        GeneratedField::Maybe => {
                            if maybe__.is_some() {
                                return Err(serde::de::Error::duplicate_field("maybe"));
                            }
                            maybe__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                        GeneratedField::ChoiceText => {
                            if choice__.is_some() {
                                return Err(serde::de::Error::duplicate_field("choiceText"));
                            }
                            choice__ = map_.next_value::<::std::option::Option<_>>()?.map(scalars::Choice::ChoiceText);
                        }
                        GeneratedField::ChoiceShelf => {
                            if choice__.is_some() {
                                return Err(serde::de::Error::duplicate_field("choiceShelf"));
                            }
                            choice__ = map_.next_value::<::std::option::Option<_>>()?.map(scalars::Choice::ChoiceShelf)
;
                        }
                        GeneratedField::__SkipField__ => {
                            let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Scalars {
                    i32: i32__.unwrap_or_default(),
                    i64: i64__.unwrap_or_default(),
                    u32: u32__.unwrap_or_default(),
                    u64: u64__.unwrap_or_default(),
                    s32: s32__.unwrap_or_default(),
                    s64: s64__.unwrap_or_default(),
                    f32: f32__.unwrap_or_default(),
                    f64: f64__.unwrap_or_default(),
                    sf32: sf32__.unwrap_or_default(),
                    sf64: sf64__.unwrap_or_default(),
                    flt: flt__.unwrap_or_default(),
                    dbl: dbl__.unwrap_or_default(),
                    flag: flag__.unwrap_or_default(),
                    text: text__.unwrap_or_default(),
                    data: data__.unwrap_or_default(),
                    genre: genre__.unwrap_or_default(),
                    many_i64: many_i64__.unwrap_or_default(),
                    genres: genres__.unwrap_or_default(),
                    labels: labels__.unwrap_or_default(),
                    shelves_by_number: shelves_by_number__.unwrap_or_default(),
                    at: at__,
                    took: took__,
                    mask: mask__,
                    detail: detail__,
                    maybe: maybe__,
                    choice: choice__,
                })
            }
        }
        deserializer.deserialize_struct("golden.v1.Scalars", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for Shelf {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.id.is_empty() {
            len += 1;
        }
        if self.genre != 0 {
            len += 1;
        }
        if !self.books.is_empty() {
            len += 1;
        }
        if self.updated_at.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("golden.v1.Shelf", len)?;
        if !self.id.is_empty() {
            struct_ser.serialize_field("id", &self.id)?;
        }
        if self.genre != 0 {
            let v = OpenEnum::<Genre>(self.genre, ::std::marker::PhantomData);
            struct_ser.serialize_field("genre", &v)?;
        }
        if !self.books.is_empty() {
            struct_ser.serialize_field("books", &self.books)?;
        }
        if let Some(v) = self.updated_at.as_ref() {
            struct_ser.serialize_field("updatedAt", v)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for Shelf {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "id",
            "genre",
            "books",
            "updated_at",
            "updatedAt",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Id,
            Genre,
            Books,
            UpdatedAt,
            __SkipField__,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl serde::de::Visitor<'_> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "id" => Ok(GeneratedField::Id),
                            "genre" => Ok(GeneratedField::Genre),
                            "books" => Ok(GeneratedField::Books),
                            "updatedAt" | "updated_at" => Ok(GeneratedField::UpdatedAt),
                            _ => Ok(GeneratedField::__SkipField__),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = Shelf;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct golden.v1.Shelf")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<Shelf, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut id__ = None;
                let mut genre__ = None;
                let mut books__ = None;
                let mut updated_at__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Id => {
                            if id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("id"));
                            }
                            id__ = Some(map_.next_value::<::std::option::Option<_>>()?.unwrap_or_default());
                        }
                        GeneratedField::Genre => {
                            if genre__.is_some() {
                                return Err(serde::de::Error::duplicate_field("genre"));
                            }
                            genre__ = Some(map_.next_value::<::std::option::Option<OpenEnum<Genre>>>()?.map(|x| x.0).unwrap_or_default() as i32);
                        }
                        GeneratedField::Books => {
                            if books__.is_some() {
                                return Err(serde::de::Error::duplicate_field("books"));
                            }
                            books__ = Some(
                                map_.next_value::<::std::option::Option<std::collections::HashMap<::pbjson::private::NumberDeserialize<i32>, _>>>()?.unwrap_or_default()
                                    .into_iter().map(|(k,v)| (k.0, v)).collect()
                            );
                        }
                        GeneratedField::UpdatedAt => {
                            if updated_at__.is_some() {
                                return Err(serde::de::Error::duplicate_field("updatedAt"));
                            }
                            updated_at__ = map_.next_value()?;
                        }
                        GeneratedField::__SkipField__ => {
                            let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Shelf {
                    id: id__.unwrap_or_default(),
                    genre: genre__.unwrap_or_default(),
                    books: books__.unwrap_or_default(),
                    updated_at: updated_at__,
                })
            }
        }
        deserializer.deserialize_struct("golden.v1.Shelf", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for UpdateShelfRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.shelf.is_some() {
            len += 1;
        }
        if self.update_mask.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("golden.v1.UpdateShelfRequest", len)?;
        if let Some(v) = self.shelf.as_ref() {
            struct_ser.serialize_field("shelf", v)?;
        }
        if let Some(v) = self.update_mask.as_ref() {
            struct_ser.serialize_field("updateMask", v)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for UpdateShelfRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "shelf",
            "update_mask",
            "updateMask",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Shelf,
            UpdateMask,
            __SkipField__,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl serde::de::Visitor<'_> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "shelf" => Ok(GeneratedField::Shelf),
                            "updateMask" | "update_mask" => Ok(GeneratedField::UpdateMask),
                            _ => Ok(GeneratedField::__SkipField__),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = UpdateShelfRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct golden.v1.UpdateShelfRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<UpdateShelfRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut shelf__ = None;
                let mut update_mask__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Shelf => {
                            if shelf__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shelf"));
                            }
                            shelf__ = map_.next_value()?;
                        }
                        GeneratedField::UpdateMask => {
                            if update_mask__.is_some() {
                                return Err(serde::de::Error::duplicate_field("updateMask"));
                            }
                            update_mask__ = map_.next_value()?;
                        }
                        GeneratedField::__SkipField__ => {
                            let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(UpdateShelfRequest {
                    shelf: shelf__,
                    update_mask: update_mask__,
                })
            }
        }
        deserializer.deserialize_struct("golden.v1.UpdateShelfRequest", FIELDS, GeneratedVisitor)
    }
}

/// A singular enum field in proto3 JSON: the value's name when the schema
/// names it, else its number.
struct OpenEnum<E>(i32, ::std::marker::PhantomData<E>);

impl<E> serde::Serialize for OpenEnum<E>
where
    E: TryFrom<i32> + serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match E::try_from(self.0) {
            Ok(known) => known.serialize(serializer),
            Err(_) => serializer.serialize_i32(self.0),
        }
    }
}

impl<'de, E> serde::Deserialize<'de> for OpenEnum<E>
where
    E: serde::Deserialize<'de> + Into<i32>,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<E>(::std::marker::PhantomData<E>);
        impl<'de, E> serde::de::Visitor<'de> for Visitor<E>
        where
            E: serde::Deserialize<'de> + Into<i32>,
        {
            type Value = i32;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("an enum value name or a 32-bit number")
            }
            fn visit_i64<Er: serde::de::Error>(self, v: i64) -> Result<i32, Er> {
                i32::try_from(v).map_err(|_| Er::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<Er: serde::de::Error>(self, v: u64) -> Result<i32, Er> {
                i32::try_from(v).map_err(|_| Er::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<Er: serde::de::Error>(self, v: &str) -> Result<i32, Er> {
                let deserializer = serde::de::value::StrDeserializer::<Er>::new(v);
                E::deserialize(deserializer).map(Into::into)
            }
        }
        deserializer
            .deserialize_any(Visitor::<E>(::std::marker::PhantomData))
            .map(|number| OpenEnum(number, ::std::marker::PhantomData))
    }
}
